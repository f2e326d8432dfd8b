import { toLeakSettingsView, updateLeakSettings } from '../shared/domain/leaks.js';
import { api } from '../shared/http/api.js';
import { LeakSettingsBody } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({ body: LeakSettingsBody }, async ({ actor, body }) => ({
  statusCode: 200,
  body: toLeakSettingsView(await updateLeakSettings(deps, actor, body)),
}));
