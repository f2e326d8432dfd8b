import { createKey } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { CreateKeyBody, IntegrationParams } from '../shared/http/schemas.js';
import { serviceDeps } from '../shared/wiring.js';

const deps = serviceDeps();

export const handler = api(
  { params: IntegrationParams, body: CreateKeyBody },
  async ({ actor, params, body }) => ({
    statusCode: 201,
    body: await createKey(deps, actor, params.integrationId, body),
  }),
);
