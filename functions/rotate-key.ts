import { rotateKey } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { KeyParams, RotateKeyBody } from '../shared/http/schemas.js';
import { serviceDeps } from '../shared/wiring.js';

const deps = serviceDeps();

export const handler = api({ params: KeyParams, body: RotateKeyBody }, async ({ actor, params, body }) => ({
  statusCode: 201,
  body: await rotateKey(deps, actor, params.integrationId, params.keyId, body),
}));
