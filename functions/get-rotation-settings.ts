import { toSettingsView } from '../shared/domain/rotation.js';
import { rotationSettings } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({}, async ({ actor }) => ({
  statusCode: 200,
  body: toSettingsView(await rotationSettings(deps, actor)),
}));
