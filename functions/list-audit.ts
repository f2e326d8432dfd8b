import { toAuditEventView } from '../shared/domain/model.js';
import { listAudit } from '../shared/domain/service.js';
import { api } from '../shared/http/api.js';
import { IntegrationParams, PageQuery } from '../shared/http/schemas.js';
import { storeDeps } from '../shared/wiring.js';

const deps = storeDeps();

export const handler = api(
  { params: IntegrationParams, query: PageQuery },
  async ({ actor, params, query }) => {
    const page = await listAudit(deps, actor, params.integrationId, query);
    return {
      statusCode: 200,
      body: { items: page.items.map(toAuditEventView), nextCursor: page.nextCursor },
    };
  },
);
