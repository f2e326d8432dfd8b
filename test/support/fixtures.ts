import type { AuditEvent, KeyRecord } from '../../shared/domain/model.js';

/** An auto-generated key as the store holds it, for unit tests that talk to a mocked or fake DynamoDB. */
export const sampleKey: KeyRecord = {
  id: 'key_01M8STXNSD4ZY5FGN1KN4W6R3F',
  accountId: 'acme',
  integrationId: 'int_01M8STXNSD0WK015E9HDB2KRD3',
  name: 'k',
  origin: 'auto-generated',
  status: 'active',
  hint: 'ssk_…abcd',
  createdAt: '2026-12-01T00:00:00.000Z',
  createdBy: 'alice',
};

/** Its reveal's audit event, by bob. */
export const revealAudit: AuditEvent = {
  id: 'evt_01M8STXNSD4ZY5FGN1KN4W6R3G',
  accountId: 'acme',
  integrationId: sampleKey.integrationId,
  keyId: sampleKey.id,
  action: 'key.revealed',
  actor: 'bob',
  at: '2026-12-01T00:00:01.000Z',
  requestId: 'r',
  sourceIp: '198.51.100.1',
};
