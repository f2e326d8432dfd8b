import { revokeKey } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { KeyParams } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({ params: KeyParams }, async ({ actor, params }) => ({
  statusCode: 200,
  body: await revokeKey(deps, actor, params.integrationId, params.keyId),
}));
