import { auditDeps } from '../shared/audit-wiring.js';
import { toVerificationView, verifyAudit } from '../shared/domain/audit-trail.js';
import { api } from '../shared/http/api.js';
import { IntegrationParams } from '../shared/http/schemas.js';

const deps = auditDeps();

export const handler = api({ params: IntegrationParams }, async ({ actor, params }) => ({
  statusCode: 200,
  body: toVerificationView(await verifyAudit(deps, actor, params.integrationId)),
}));
