import { leakSettings, toLeakSettingsView } from '../shared/domain/leaks.js';
import { api } from '../shared/http/api.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({}, async ({ actor }) => ({
  statusCode: 200,
  body: toLeakSettingsView(await leakSettings(deps, actor)),
}));
