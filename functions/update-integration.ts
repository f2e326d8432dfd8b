import { toIntegrationView } from '../shared/domain/model.js';
import { updateIntegration } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { IntegrationParams, UpdateIntegrationBody } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api(
  { params: IntegrationParams, body: UpdateIntegrationBody },
  async ({ actor, params, body }) => ({
    statusCode: 200,
    body: toIntegrationView(await updateIntegration(deps, actor, params.integrationId, body)),
  }),
);
