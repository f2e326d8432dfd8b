import { revealKey } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { KeyParams } from '../shared/http/schemas.js';
import { serviceDeps } from '../shared/wiring.js';

const deps = serviceDeps();

export const handler = api({ params: KeyParams }, async ({ actor, params }) => ({
  statusCode: 200,
  body: await revealKey(deps, actor, params.integrationId, params.keyId),
}));
