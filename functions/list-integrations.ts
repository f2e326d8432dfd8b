import { toIntegrationView } from '../shared/domain/model.js';
import { listIntegrations } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { PageQuery } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api({ query: PageQuery }, async ({ actor, query }) => {
  const page = await listIntegrations(deps, actor, query);
  return { statusCode: 200, body: { items: page.items.map(toIntegrationView), nextCursor: page.nextCursor } };
});
