/**
 * The table, declared once: the DynamoDB adapter, the CDK table (infra/stateful-stack.ts) and the local
 * table (local/table.ts) all read this.
 *
 *   pk                      sk                          item
 *   ACCOUNT#<account>       INTEGRATION#<int>           integration (+ its audit event)
 *   ACCOUNT#<account>       KEY#<int>#<key>             key metadata (+ display ciphertext until revealed)
 *                                                       (+ the key's audit events)
 *   ACCOUNT#<account>       SETTINGS#rotation           the account's rotation policy (+ its audit events)
 *   APIKEY#<apiKey>         APIKEY                      credential: usable keys' status + signing ciphertext
 *   JOB#remind-rotation     STATE                       the reminder job's progress (the first day to read)
 *
 * Every tenant item lives under its account's partition, so no query can cross tenants. The one
 * exception is the credential record, found by the integration's public apiKey: the verifier does not
 * know the account yet, and one GetItem on it returns every usable key. gsi1 holds only integrations
 * (gsi1pk = INTEGRATION#<int>), for signing a webhook by integration id. gsi2 is the due index: a key
 * item carries gsi2pk = DUE#<yyyy-mm-dd>, dueAt = the time the reminder job must next look at it, so a
 * run reads only the days since the last run, never the whole table (shared/domain/rotation.ts).
 */
export const TABLE = {
  partitionKey: 'pk',
  sortKey: 'sk',
  gsi1: { indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk' },
  /** Projects what a reminder names and decides on, so a run needs no read of the key items. */
  gsi2: {
    indexName: 'gsi2',
    partitionKey: 'gsi2pk',
    // The key item's own next-check time: no second copy of it just for the index.
    sortKey: 'dueAt',
    projected: [
      'accountId',
      'integrationId',
      'id',
      'name',
      'hint',
      'status',
      'createdAt',
      'expiresAt',
      'rotationDueAt',
      'remindedAt',
      'expiryNotifiedAt',
    ],
  },
  /**
   * Keys by their secret's public fingerprint (signature.ts): how a leaked secret finds its key without
   * anything being decrypted. Only key items carry the attribute, so the index holds only keys.
   */
  gsi3: {
    indexName: 'byFingerprint',
    partitionKey: 'fingerprint',
    projected: ['accountId', 'integrationId', 'id', 'name', 'status', 'createdAt', 'expiresAt'],
  },
  /** Items that carry this epoch-seconds attribute are removed by DynamoDB after that time. */
  ttlAttribute: 'ttl',
} as const;

export const GSI1 = TABLE.gsi1.indexName;
export const GSI3 = TABLE.gsi3.indexName;
export const GSI2 = TABLE.gsi2.indexName;
export const TTL_ATTRIBUTE = TABLE.ttlAttribute;
/** The map of audit events an integration or key item carries (see codec.ts). */
export const AUDIT_ATTRIBUTE = 'audit';
/** The head of the item's audit chain (shared/domain/audit-chain.ts), 32 bytes. */
export const HEAD_ATTRIBUTE = 'auditHead';

export const TableKeys = {
  account: (accountId: string) => `ACCOUNT#${accountId}`,
  integration: (integrationId: string) => `INTEGRATION#${integrationId}`,
  integrationPrefix: 'INTEGRATION#',
  key: (integrationId: string, keyId: string) => `KEY#${integrationId}#${keyId}`,
  keyPrefix: (integrationId: string) => `KEY#${integrationId}#`,
  anyKeyPrefix: 'KEY#',
  credential: (apiKey: string) => `APIKEY#${apiKey}`,
  credentialSort: 'APIKEY',
  settingsPrefix: 'SETTINGS#',
  rotationSettings: 'SETTINGS#rotation',
  leakSettings: 'SETTINGS#leaks',
  due: (day: string) => `DUE#${day}`,
  reminderJob: 'JOB#remind-rotation',
  jobState: 'STATE',
} as const;
