import { toIntegrationView } from '../shared/domain/model.js';
import { createIntegration } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { CreateIntegrationBody } from '../shared/http/schemas.js';
import { serviceDeps } from '../shared/wiring.js';

const deps = serviceDeps();

export const handler = api({ body: CreateIntegrationBody }, async ({ actor, body }) => {
  const { integration, key } = await createIntegration(deps, actor, body);
  return { statusCode: 201, body: { integration: toIntegrationView(integration), key } };
});
