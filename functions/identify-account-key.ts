import { identifyKey } from '../shared/domain/leaks.js';
import { api } from '../shared/http/api.js';
import { IdentifyBody } from '../shared/http/schemas.js';
import { identifyLimiter, storeDeps } from '../shared/wiring.js';

const deps = { ...storeDeps(), limiter: identifyLimiter() };

export const handler = api({ body: IdentifyBody }, async ({ actor, body }) => ({
  statusCode: 200,
  body: await identifyKey(deps, actor, { secret: body.secret }),
}));
