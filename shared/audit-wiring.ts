import { dynamoClient, s3Client } from './adapters/clients.js';
import { createChainStore } from './adapters/dynamodb/audit.js';
import { allIntegrations } from './adapters/dynamodb/integrations.js';
import { createS3AnchorStore } from './adapters/s3-anchors.js';
import { requireEnv } from './config.js';
import type { AnchorStore, AuditDeps } from './domain/audit-trail.js';
import { storeDeps } from './wiring.js';

/** The anchor bucket, when the deploy turned anchoring on (ANCHOR_BUCKET); otherwise none. */
function anchors(): AnchorStore | undefined {
  const bucket = process.env.ANCHOR_BUCKET || undefined;
  return bucket ? createS3AnchorStore({ client: s3Client(), bucket }) : undefined;
}

/** The audit trail's verification: the store, and the last anchors when anchoring is on. */
export function auditDeps(): AuditDeps {
  const { store, clock } = storeDeps();
  const chains = createChainStore({ client: dynamoClient(), tableName: requireEnv('TABLE_NAME') });
  const anchorStore = anchors();
  return { store, clock, chains, ...(anchorStore ? { anchors: anchorStore } : {}) };
}

/** The anchor job's: the same, the anchor bucket required, and every integration to visit. */
export function anchorDeps() {
  const { store, clock, chains } = auditDeps();
  return {
    store,
    clock,
    chains,
    anchors: createS3AnchorStore({ client: s3Client(), bucket: requireEnv('ANCHOR_BUCKET') }),
    integrations: () => allIntegrations(dynamoClient(), requireEnv('TABLE_NAME')),
  };
}
