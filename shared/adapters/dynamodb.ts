import { ConflictError, IntegrityError, RetryableError, ValidationError } from '../domain/errors.js';
import { ID_PATTERNS } from '../domain/ids.js';
import type { AuditEvent, Credential, Integration, KeyRecord, Page, SigningEntry } from '../domain/model.js';
import type { KeyStore, RevealOutcome, RevokeOutcome } from '../domain/ports.js';
import { isRetryableAwsError } from './aws-json.js';
import {
  cancellationCodes,
  type DocumentClient,
  type GetInput,
  type QueryInput,
  type TransactWriteInput,
} from './document-client.js';
import { packSealed, unpackSealed } from './kms-envelope.js';

/**
 * Single-table layout. Every tenant item lives under its account's partition, so no query can cross
 * tenants. The one exception is the credential record, found by the integration's public apiKey: the
 * verifier does not know the account yet, and one GetItem on it returns every usable key.
 *
 *   pk                      sk                          item
 *   ACCOUNT#<account>       INTEGRATION#<int>           integration (+ its audit event)
 *   ACCOUNT#<account>       KEY#<int>#<key>             key metadata (+ display ciphertext until revealed)
 *                                                       (+ the key's audit events)
 *   APIKEY#<apiKey>         APIKEY                      credential: usable keys' status + signing ciphertext
 *   APIKEY#<apiKey>         RETIRED#<key>               a revoked key's entry, remembered 90 days (ttl)
 *
 * gsi1 holds only integrations (gsi1pk = INTEGRATION#<int>), for signing a webhook by integration id.
 *
 * Audit events live in the item they concern, in a map attribute `audit` keyed by event id, and are
 * written by the same write that makes the change: a key's creation, reveal, rotation and revocation
 * land in its key item, the integration's creation in the integration item. The write is atomic with
 * the change either way (a single-item write is; a transaction is), each event is added once under its
 * own id and never rewritten, and nothing else writes the map. Keeping the event off a separate item
 * is what lets a reveal be one 1 KB conditional write instead of a two-item transaction (4× the write
 * units), and a created key a two-item transaction instead of three (issue #5's cost budgets). The
 * audit list reads the integration and its key items and merges their events, newest first.
 */
export const TableKeys = {
  account: (accountId: string) => `ACCOUNT#${accountId}`,
  integration: (integrationId: string) => `INTEGRATION#${integrationId}`,
  key: (integrationId: string, keyId: string) => `KEY#${integrationId}#${keyId}`,
  keyPrefix: (integrationId: string) => `KEY#${integrationId}#`,
  retired: (keyId: string) => `RETIRED#${keyId}`,
  retiredPrefix: 'RETIRED#',
  credential: (apiKey: string) => `APIKEY#${apiKey}`,
  credentialSort: 'APIKEY',
} as const;

export const GSI1 = 'gsi1';
/** Items that carry this epoch-seconds attribute are removed by DynamoDB after that time. */
export const TTL_ATTRIBUTE = 'ttl';
/** The map of audit events an integration or key item carries (see above). */
export const AUDIT_ATTRIBUTE = 'audit';
const INTERNAL_ATTRIBUTES = ['pk', 'sk', 'type', 'gsi1pk', 'gsi1sk', AUDIT_ATTRIBUTE] as const;

type Item = Record<string, unknown>;

function strip<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const attribute of INTERNAL_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}

function isTransient(error: unknown): boolean {
  const codes = cancellationCodes(error);
  if (codes) {
    return codes.some((code) =>
      ['TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded'].includes(code),
    );
  }
  // A single-item write to an item that a transaction holds at that moment is refused this way.
  if (error instanceof Error && error.name === 'TransactionConflictException') return true;
  return isRetryableAwsError(error);
}

function isConditionFailure(error: unknown, index?: number): boolean {
  if (error instanceof Error && error.name === 'ConditionalCheckFailedException') return true;
  const codes = cancellationCodes(error);
  if (!codes) return false;
  return index === undefined
    ? codes.includes('ConditionalCheckFailed')
    : codes[index] === 'ConditionalCheckFailed';
}

/**
 * Sealed values (display copies, signing copies) are stored as bytes, not as their base64url text: a
 * quarter less item size, and so fewer write units, most of all on the verification record.
 */
function unpack(value: unknown): string {
  if (value instanceof Uint8Array) return unpackSealed(value);
  if (typeof value === 'string') return value;
  throw new IntegrityError('Stored ciphertext has an unknown form');
}

const storedEntry = (entry: SigningEntry): Item => ({ ...entry, signing: packSealed(entry.signing) });
const entryOf = (stored: Item): SigningEntry => ({
  ...(stored as unknown as SigningEntry),
  signing: unpack(stored.signing),
});

function keyOf(item: Item): KeyRecord {
  const key = strip<KeyRecord>(item);
  if (key.displayCiphertext !== undefined) key.displayCiphertext = unpack(key.displayCiphertext);
  return key;
}

function credentialOf(item: Item): Credential {
  const credential = strip<Credential>(item);
  const keys = credential.keys as unknown as Record<string, Item>;
  credential.keys = Object.fromEntries(Object.entries(keys).map(([id, entry]) => [id, entryOf(entry)]));
  return credential;
}

/** An audit event as its item stores it: the account and integration are the item's own. */
function storedEvent({ accountId: _a, integrationId: _i, id: _id, ...rest }: AuditEvent): Item {
  return rest;
}

/** Adds one event to an item's audit map inside an update expression (see eventNames/eventValues). */
const ADD_EVENT = '#audit.#eventId = :event';
const eventNames = (event: AuditEvent) => ({ '#audit': AUDIT_ATTRIBUTE, '#eventId': event.id });
const eventValues = (event: AuditEvent) => ({ ':event': storedEvent(event) });

function eventsOf(item: Item | undefined, accountId: string, integrationId: string): AuditEvent[] {
  const map = item?.[AUDIT_ATTRIBUTE];
  if (!map || typeof map !== 'object') return [];
  return Object.entries(map as Record<string, Item>).map(
    ([id, stored]) => ({ ...stored, id, accountId, integrationId }) as AuditEvent,
  );
}

function encodeEventCursor(eventId: string): string {
  return Buffer.from(JSON.stringify({ before: eventId })).toString('base64url');
}

function decodeEventCursor(cursor: string | undefined): string | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const before = (parsed as { before?: unknown } | null)?.before;
    if (typeof before === 'string' && ID_PATTERNS.event.test(before)) return before;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('cursor: not a cursor this list returned; start again without it.');
}

/** Cursors are opaque to clients but carry only the sort key; the partition always comes from the caller. */
function encodeCursor(lastKey: Item | undefined): string | null {
  if (!lastKey) return null;
  return Buffer.from(JSON.stringify({ sk: lastKey.sk })).toString('base64url');
}

function decodeCursor(cursor: string | undefined, prefix: string): Item | undefined {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (parsed && typeof parsed === 'object') {
      const value = parsed as Item;
      if (typeof value.sk === 'string' && value.sk.startsWith(prefix)) return value;
    }
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('cursor: not a cursor this list returned; start again without it.');
}

export interface DynamoStoreOptions {
  client: DocumentClient;
  tableName: string;
  /** How often a reveal retries a commit that a concurrent transaction held off before answering 503. */
  revealConflictRetries?: number;
}

export function createDynamoStore({
  client,
  tableName,
  revealConflictRetries = 3,
}: DynamoStoreOptions): KeyStore {
  const put = (item: Item) => ({
    Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
  });

  const keyItem = (key: KeyRecord, event: AuditEvent): Item => ({
    pk: TableKeys.account(key.accountId),
    sk: TableKeys.key(key.integrationId, key.id),
    type: 'key',
    ...key,
    ...(key.displayCiphertext === undefined ? {} : { displayCiphertext: packSealed(key.displayCiphertext) }),
    [AUDIT_ATTRIBUTE]: { [event.id]: storedEvent(event) },
  });

  /** Throttling, timeouts and 5xx become a 503 that tells the caller a retry is safe. */
  async function send<T>(call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (isTransient(error) && !isConditionFailure(error)) throw new RetryableError();
      throw error;
    }
  }

  const transact = (input: TransactWriteInput) => send(() => client.transactWrite(input));
  const get = (input: GetInput) => send(() => client.get(input));

  async function readKey(
    accountId: string,
    integrationId: string,
    keyId: string,
  ): Promise<KeyRecord | undefined> {
    const { Item: item } = await get({
      TableName: tableName,
      Key: { pk: TableKeys.account(accountId), sk: TableKeys.key(integrationId, keyId) },
      ConsistentRead: true,
    });
    return item ? keyOf(item) : undefined;
  }

  async function query<T>(input: QueryInput): Promise<Page<T>> {
    const result = await send(() => client.query(input));
    return {
      items: (result.Items ?? []).map((item) => strip<T>(item)),
      nextCursor: encodeCursor(result.LastEvaluatedKey),
    };
  }

  /** Every item of one partition whose sort key starts with `prefix`, across pages. */
  async function queryPrefix(pk: string, prefix: string, attribute?: string): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const result = await send(() =>
        client.query({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
          ExclusiveStartKey: start,
          ...(attribute
            ? { ProjectionExpression: '#attribute', ExpressionAttributeNames: { '#attribute': attribute } }
            : {}),
        }),
      );
      items.push(...(result.Items ?? []));
      start = result.LastEvaluatedKey;
    } while (start);
    return items;
  }

  /**
   * The reveal commit: one conditional write on the key item that drops the display copy, marks the key
   * viewed for everyone and records the audit event. No ClientRequestToken exists for a single-item
   * write; a commit whose response was lost is recognised afterwards by its revealId.
   */
  async function commitRevealOnce(
    input: Parameters<KeyStore['commitReveal']>[0],
  ): Promise<'committed' | 'lost'> {
    const { key, revealId, viewedAt, viewedBy, audit } = input;
    try {
      await client.update({
        TableName: tableName,
        Key: { pk: TableKeys.account(key.accountId), sk: TableKeys.key(key.integrationId, key.id) },
        UpdateExpression: `REMOVE displayCiphertext SET viewedAt = :viewedAt, viewedBy = :viewedBy, revealId = :revealId, ${ADD_EVENT}`,
        ConditionExpression: 'attribute_exists(displayCiphertext) AND #status <> :revoked',
        ExpressionAttributeNames: { '#status': 'status', ...eventNames(audit) },
        ExpressionAttributeValues: {
          ':viewedAt': viewedAt,
          ':viewedBy': viewedBy,
          ':revealId': revealId,
          ':revoked': 'revoked',
          ...eventValues(audit),
        },
      });
      return 'committed';
    } catch (error) {
      if (isConditionFailure(error) || isTransient(error)) return 'lost';
      throw error;
    }
  }

  return {
    async createIntegration({ integration, firstKey, audit }) {
      const credential = {
        apiKey: integration.apiKey,
        accountId: integration.accountId,
        integrationId: integration.id,
        requireTimestamp: integration.requireTimestamp,
        keys: { [firstKey.key.id]: storedEntry(firstKey.signing) },
      };
      await transact({
        TransactItems: [
          put({
            pk: TableKeys.account(integration.accountId),
            sk: TableKeys.integration(integration.id),
            gsi1pk: TableKeys.integration(integration.id),
            gsi1sk: TableKeys.integration(integration.id),
            type: 'integration',
            ...integration,
            [AUDIT_ATTRIBUTE]: { [audit.id]: storedEvent(audit) },
          }),
          put({
            pk: TableKeys.credential(integration.apiKey),
            sk: TableKeys.credentialSort,
            type: 'credential',
            ...credential,
          }),
          put(keyItem(firstKey.key, firstKey.audit)),
        ],
      });
    },

    async getIntegration(accountId, integrationId) {
      const { Item: item } = await get({
        TableName: tableName,
        Key: { pk: TableKeys.account(accountId), sk: TableKeys.integration(integrationId) },
      });
      return item ? strip<Integration>(item) : undefined;
    },

    async listIntegrations(accountId, { limit, cursor }) {
      const start = decodeCursor(cursor, 'INTEGRATION#');
      return query<Integration>({
        TableName: tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': TableKeys.account(accountId), ':prefix': 'INTEGRATION#' },
        Limit: limit,
        ExclusiveStartKey: start && { pk: TableKeys.account(accountId), sk: start.sk },
      });
    },

    async addKey({ key, signing, audit, apiKey, maxUsableKeys }) {
      try {
        await transact({
          TransactItems: [
            put(keyItem(key, audit)),
            {
              Update: {
                TableName: tableName,
                Key: { pk: TableKeys.credential(apiKey), sk: TableKeys.credentialSort },
                UpdateExpression: 'SET #keys.#keyId = :entry',
                ConditionExpression: 'accountId = :account AND size(#keys) < :max',
                ExpressionAttributeNames: { '#keys': 'keys', '#keyId': key.id },
                ExpressionAttributeValues: {
                  ':entry': storedEntry(signing),
                  ':account': key.accountId,
                  ':max': maxUsableKeys,
                },
              },
            },
          ],
        });
      } catch (error) {
        if (isConditionFailure(error, 1)) {
          throw new ConflictError(
            'too_many_keys',
            `This integration already has ${maxUsableKeys} usable keys; revoke one before adding another.`,
          );
        }
        throw error;
      }
    },

    getKey: readKey,

    async listKeys(accountId, integrationId) {
      const items = await queryPrefix(TableKeys.account(accountId), TableKeys.keyPrefix(integrationId));
      return items.map(keyOf);
    },

    async commitReveal(input): Promise<RevealOutcome> {
      const { key, revealId } = input;
      for (let attempt = 0; ; attempt++) {
        let outcome: 'committed' | 'lost' | 'unknown';
        try {
          outcome = await commitRevealOnce(input);
        } catch {
          outcome = 'unknown';
        }
        if (outcome === 'committed') return { status: 'committed' };
        // Lost a race, failed a condition, or cannot tell: the stored key says who won.
        let current: KeyRecord | undefined;
        try {
          current = await readKey(key.accountId, key.integrationId, key.id);
        } catch {
          throw new RetryableError();
        }
        if (!current) return { status: 'not-viewable', key };
        if (current.revealId === revealId) return { status: 'committed' };
        if (current.displayCiphertext === undefined || current.status === 'revoked') {
          return { status: 'not-viewable', key: current };
        }
        if (outcome === 'unknown' || attempt >= revealConflictRetries) throw new RetryableError();
        await new Promise((resolve) => setTimeout(resolve, 10 + Math.random() * 40 * (attempt + 1)));
      }
    },

    async revokeKey({ key, apiKey, revokedAt, revokedBy, audit, retire, forgetAt }): Promise<RevokeOutcome> {
      try {
        await transact({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: { pk: TableKeys.account(key.accountId), sk: TableKeys.key(key.integrationId, key.id) },
                UpdateExpression: `SET #status = :revoked, revokedAt = :revokedAt, revokedBy = :revokedBy, ${ADD_EVENT} REMOVE displayCiphertext`,
                ConditionExpression: 'attribute_exists(pk) AND #status <> :revoked',
                ExpressionAttributeNames: { '#status': 'status', ...eventNames(audit) },
                ExpressionAttributeValues: {
                  ':revoked': 'revoked',
                  ':revokedAt': revokedAt,
                  ':revokedBy': revokedBy,
                  ...eventValues(audit),
                },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: { pk: TableKeys.credential(apiKey), sk: TableKeys.credentialSort },
                UpdateExpression: 'REMOVE #keys.#keyId',
                ConditionExpression: 'accountId = :account',
                ExpressionAttributeNames: { '#keys': 'keys', '#keyId': key.id },
                ExpressionAttributeValues: { ':account': key.accountId },
              },
            },
            ...(retire
              ? [
                  {
                    Put: {
                      TableName: tableName,
                      Item: {
                        pk: TableKeys.credential(apiKey),
                        sk: TableKeys.retired(key.id),
                        type: 'retired-key',
                        keyId: key.id,
                        ...storedEntry(retire),
                        status: 'revoked',
                        [TTL_ATTRIBUTE]: Math.floor(forgetAt.getTime() / 1000),
                      },
                    },
                  },
                ]
              : []),
          ],
        });
      } catch (error) {
        if (isConditionFailure(error, 0)) {
          const current = await readKey(key.accountId, key.integrationId, key.id);
          if (current) return { status: 'already-revoked', key: current };
        }
        throw error;
      }
      const { displayCiphertext: _, ...rest } = key;
      return { status: 'revoked', key: { ...rest, status: 'revoked', revokedAt, revokedBy } };
    },

    async listAudit(accountId, integrationId, { limit, cursor }) {
      const before = decodeEventCursor(cursor);
      const [integration, keys] = await Promise.all([
        get({
          TableName: tableName,
          Key: { pk: TableKeys.account(accountId), sk: TableKeys.integration(integrationId) },
          ProjectionExpression: '#audit',
          ExpressionAttributeNames: { '#audit': AUDIT_ATTRIBUTE },
        }),
        queryPrefix(TableKeys.account(accountId), TableKeys.keyPrefix(integrationId), AUDIT_ATTRIBUTE),
      ]);
      const events = [integration.Item, ...keys]
        .flatMap((item) => eventsOf(item, accountId, integrationId))
        .filter((event) => before === undefined || event.id < before)
        .sort((a, b) => (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
      const items = events.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: events.length > limit && last ? encodeEventCursor(last.id) : null };
    },

    async rotateKey({ apiKey, previous, expiresAt, successor, audit, maxUsableKeys }) {
      try {
        await transact({
          TransactItems: [
            put(keyItem(successor.key, successor.audit)),
            {
              Update: {
                TableName: tableName,
                Key: {
                  pk: TableKeys.account(previous.accountId),
                  sk: TableKeys.key(previous.integrationId, previous.id),
                },
                UpdateExpression: `SET #status = :expiring, expiresAt = :expiresAt, ${ADD_EVENT}`,
                ConditionExpression: '#status = :active',
                ExpressionAttributeNames: { '#status': 'status', ...eventNames(audit) },
                ExpressionAttributeValues: {
                  ':expiring': 'expiring',
                  ':active': 'active',
                  ':expiresAt': expiresAt,
                  ...eventValues(audit),
                },
              },
            },
            {
              Update: {
                TableName: tableName,
                Key: { pk: TableKeys.credential(apiKey), sk: TableKeys.credentialSort },
                UpdateExpression:
                  'SET #keys.#new = :entry, #keys.#old.#status = :expiring, #keys.#old.expiresAt = :expiresAt',
                ConditionExpression:
                  'accountId = :account AND attribute_exists(#keys.#old) AND size(#keys) < :max',
                ExpressionAttributeNames: {
                  '#keys': 'keys',
                  '#new': successor.key.id,
                  '#old': previous.id,
                  '#status': 'status',
                },
                ExpressionAttributeValues: {
                  ':entry': storedEntry(successor.signing),
                  ':expiring': 'expiring',
                  ':expiresAt': expiresAt,
                  ':account': previous.accountId,
                  ':max': maxUsableKeys,
                },
              },
            },
          ],
        });
      } catch (error) {
        if (isConditionFailure(error, 1)) {
          throw new ConflictError(
            'key_not_active',
            'Only an active key can be rotated; this one is expiring or revoked.',
          );
        }
        if (isConditionFailure(error, 2)) {
          throw new ConflictError(
            'too_many_keys',
            `This integration already has ${maxUsableKeys} usable keys; revoke one before rotating.`,
          );
        }
        throw error;
      }
    },

    async findIntegration(integrationId) {
      const result = await send(() =>
        client.query({
          TableName: tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :id',
          ExpressionAttributeValues: { ':id': TableKeys.integration(integrationId) },
          ProjectionExpression: 'accountId, apiKey',
          Limit: 1,
        }),
      );
      const item = result.Items?.[0];
      if (!item || typeof item.accountId !== 'string' || typeof item.apiKey !== 'string') return undefined;
      return { accountId: item.accountId, apiKey: item.apiKey };
    },

    async recordKeyUse({ accountId, integrationId, keyId, at, notBefore }) {
      try {
        await send(() =>
          client.update({
            TableName: tableName,
            Key: { pk: TableKeys.account(accountId), sk: TableKeys.key(integrationId, keyId) },
            UpdateExpression: 'SET lastUsedAt = :at',
            ConditionExpression:
              'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :notBefore)',
            ExpressionAttributeValues: { ':at': at, ':notBefore': notBefore },
          }),
        );
        return true;
      } catch (error) {
        if (isConditionFailure(error)) return false;
        throw error;
      }
    },

    async getRetiredKeys(apiKey) {
      const items = await queryPrefix(TableKeys.credential(apiKey), TableKeys.retiredPrefix);
      const retired: Record<string, SigningEntry> = {};
      for (const item of items) {
        const { keyId, name, status, createdAt, signing, expiresAt } = strip<Item>(item);
        retired[String(keyId)] = entryOf({ name, status, createdAt, signing, expiresAt });
      }
      return retired;
    },

    async getCredential(apiKey) {
      const { Item: item } = await get({
        TableName: tableName,
        Key: { pk: TableKeys.credential(apiKey), sk: TableKeys.credentialSort },
        ConsistentRead: true,
      });
      return item ? credentialOf(item) : undefined;
    },
  };
}
