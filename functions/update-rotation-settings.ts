import { toSettingsView } from '../shared/domain/rotation.js';
import { updateRotationSettings } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { RotationSettingsBody } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({ body: RotationSettingsBody }, async ({ actor, body }) => ({
  statusCode: 200,
  body: toSettingsView(await updateRotationSettings(deps, actor, body)),
}));
