import { toIntegrationView } from '../shared/domain/model.js';
import { getIntegration } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { IntegrationParams } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({ params: IntegrationParams }, async ({ actor, params }) => ({
  statusCode: 200,
  body: toIntegrationView(await getIntegration(deps, actor, params.integrationId)),
}));
