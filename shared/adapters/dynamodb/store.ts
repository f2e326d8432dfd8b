import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  type TransactWriteCommandInput,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { keyNotActive, OutcomeUnknownError, RetryableError, tooManyKeys } from '../../domain/errors.js';
import { ID_PATTERNS } from '../../domain/ids.js';
import type { LeakSettings } from '../../domain/leaks.js';
import type { AuditEvent, Credential, Integration, KeyRecord, Page } from '../../domain/model.js';
import { newestFirst } from '../../domain/order.js';
import type { FoundKey, KeyStore, RevealOutcome, RevokeOutcome } from '../../domain/ports.js';
import type { RotationSettings } from '../../domain/rotation.js';
import { remainingMs } from '../../runtime/deadline.js';
import { packSealed } from '../kms-envelope.js';
import { tableCalls } from './calls.js';
import { chainedUpdates, extendHead } from './chain.js';
import {
  appendEvent,
  credentialOf,
  dueIndex,
  dueUpdate,
  eventsOf,
  firstEvent,
  type Item,
  keyOf,
  storedEntry,
  strip,
  updateExpression,
  withHead,
} from './codec.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { conditionItem, isConditionFailure, isTransient, scrub, wasRefused } from './errors.js';
import { AUDIT_ATTRIBUTE, GSI1, GSI3, TABLE, TableKeys } from './table.js';

export interface DynamoStoreOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How often a reveal retries a commit that a concurrent transaction held off before answering 503. */
  revealConflictRetries?: number;
}

/**
 * Time a reveal keeps, below the request's deadline, for reading the key back when its commit's outcome
 * is unknown (the commit timed out or was cut off after DynamoDB may have applied it).
 */
export const READBACK_RESERVE_MS = 600;

/**
 * How long a reveal waits before retrying a commit held off by a concurrent write: 10 ms, plus a jitter
 * that widens with each attempt so that racing reveals spread out. `random` is in [0, 1).
 */
export function revealRetryWaitMs(attempt: number, random: number): number {
  return 10 + random * 40 * (attempt + 1);
}

export function createDynamoStore({
  client,
  tableName,
  revealConflictRetries = 3,
}: DynamoStoreOptions): KeyStore {
  const { call, send, failure, conditional, queryAll } = tableCalls(client);
  const chained = chainedUpdates(client, tableName);
  const get = (input: GetCommandInput) => send(new GetCommand(input));
  const transact = (input: TransactWriteCommandInput) => send(new TransactWriteCommand(input));
  const put = (item: Item) => ({
    Put: { TableName: tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' },
  });
  const keyItem = ({ auditHead: _, ...key }: KeyRecord, event: AuditEvent): Item => ({
    pk: TableKeys.account(key.accountId),
    sk: TableKeys.key(key.integrationId, key.id),
    type: 'key',
    ...key,
    ...dueIndex(key.dueAt),
    ...(key.displayCiphertext === undefined ? {} : { displayCiphertext: packSealed(key.displayCiphertext) }),
    ...firstEvent(event, key.id),
  });
  const keyAddress = (key: Pick<KeyRecord, 'accountId' | 'integrationId' | 'id'>) => ({
    pk: TableKeys.account(key.accountId),
    sk: TableKeys.key(key.integrationId, key.id),
  });
  const settingsAddress = (accountId: string) => ({
    pk: TableKeys.account(accountId),
    sk: TableKeys.rotationSettings,
  });
  const leakAddress = (accountId: string) => ({
    pk: TableKeys.account(accountId),
    sk: TableKeys.leakSettings,
  });
  /**
   * An account settings item, written with its audit event in one write: update it, extending its audit
   * chain, or create it the first time (a map entry can only be added to a map that exists). A
   * concurrent first write makes one retry.
   */
  async function putSettings(key: Item, accountId: string, fields: Item, audit: AuditEvent) {
    const names = Object.fromEntries(Object.keys(fields).map((name) => [`#${name}`, name]));
    const values = Object.fromEntries(Object.entries(fields).map(([name, value]) => [`:${name}`, value]));
    for (let attempt = 0; attempt < 3; attempt++) {
      const updated = await chained.append(key, audit, (chain) => ({
        update: `SET ${Object.keys(fields)
          .map((name) => `#${name} = :${name}`)
          .join(', ')}, ${chain.set}`,
        names,
        values,
      }));
      if (updated) return;
      const created = await conditional(
        new PutCommand({
          TableName: tableName,
          Item: { ...key, type: 'settings', accountId, ...fields, ...firstEvent(audit) },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      if (created) return;
    }
    throw new RetryableError();
  }
  /** A condition that an attribute is as it was read: the same value, or still absent. */
  const unchanged = (attribute: string, placeholder: string, seen: string | undefined) =>
    seen === undefined ? `attribute_not_exists(${attribute})` : `${attribute} = ${placeholder}`;
  const credentialAddress = (apiKey: string) => ({
    pk: TableKeys.credential(apiKey),
    sk: TableKeys.credentialSort,
  });

  /** Sets entries of the credential's `keys` map, on condition that it is the caller's account's. */
  function credentialUpdate(
    apiKey: string,
    accountId: string,
    set: { update: string; condition?: string; names: Record<string, string>; values: Item },
  ) {
    const condition = ['accountId = :account', set.condition].filter(Boolean).join(' AND ');
    // DynamoDB refuses names an expression does not use; `#keys` is used by all but the policy update.
    const names = `${set.update} ${condition}`.includes('#keys')
      ? { '#keys': 'keys', ...set.names }
      : set.names;
    return {
      Update: {
        TableName: tableName,
        Key: credentialAddress(apiKey),
        UpdateExpression: set.update,
        ConditionExpression: condition,
        ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
        ExpressionAttributeValues: { ':account': accountId, ...set.values },
      },
    };
  }

  async function readKey(accountId: string, integrationId: string, keyId: string, reserveMs = 0) {
    const command = new GetCommand({
      TableName: tableName,
      Key: keyAddress({ accountId, integrationId, id: keyId }),
      ConsistentRead: true,
    });
    try {
      const { Item: item } = await call(command, reserveMs);
      return item ? keyOf(item) : undefined;
    } catch (error) {
      throw failure(error);
    }
  }

  type Projection = { ProjectionExpression: string; ExpressionAttributeNames: Record<string, string> };
  /** What the audit list reads of an item. */
  const EVENTS: Projection = {
    ProjectionExpression: '#sk, #audit',
    ExpressionAttributeNames: { '#sk': TABLE.sortKey, '#audit': AUDIT_ATTRIBUTE },
  };

  /** Every item of one partition whose sort key starts with `prefix`, across pages. */
  const queryPrefix = (pk: string, prefix: string, projection?: Projection): Promise<Item[]> =>
    queryAll({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ...projection,
    });

  type CommitInput = Parameters<KeyStore['commitReveal']>[0];
  type Attempt = { outcome: 'committed' } | { outcome: 'lost' | 'unknown'; current?: KeyRecord };

  /**
   * The reveal commit: one conditional write on the key item that drops the display copy, marks the key
   * viewed for everyone and records the audit event. A failed condition returns the item as it is (who
   * won); a commit whose response was lost, even one the SDK retried into its own condition, is
   * recognised by its revealId. It stops READBACK_RESERVE_MS before the deadline, to leave time to ask.
   */
  async function commitRevealOnce(
    { key, revealId, viewedAt, viewedBy, audit }: CommitInput,
    head: string | undefined,
  ): Promise<Attempt> {
    const chain = appendEvent(audit, head, key.id);
    try {
      await call(
        new UpdateCommand({
          TableName: tableName,
          Key: keyAddress(key),
          UpdateExpression: `REMOVE displayCiphertext SET viewedAt = :viewedAt, viewedBy = :viewedBy, revealId = :revealId, ${chain.set}`,
          ConditionExpression: `attribute_exists(displayCiphertext) AND #status <> :revoked AND ${chain.condition}`,
          ExpressionAttributeNames: { '#status': 'status', ...chain.names },
          ExpressionAttributeValues: {
            ':viewedAt': viewedAt,
            ':viewedBy': viewedBy,
            ':revealId': revealId,
            ':revoked': 'revoked',
            ...chain.values,
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
        READBACK_RESERVE_MS,
      );
      return { outcome: 'committed' };
    } catch (error) {
      if (isConditionFailure(error)) {
        const item = conditionItem(error);
        scrub(error);
        return { outcome: 'lost', current: item ? keyOf(item) : undefined };
      }
      // Refused before it applied (a concurrent transaction held the item, throttling): a plain retry.
      if (wasRefused(error)) return { outcome: 'lost' };
      // Cut off by the deadline, a timeout, a dropped connection, a 5xx: DynamoDB may have applied it.
      if (isTransient(error)) return { outcome: 'unknown' };
      throw failure(error);
    }
  }

  return {
    async createIntegration({ integration, firstKey, audit }) {
      const credential = {
        apiKey: integration.apiKey,
        accountId: integration.accountId,
        integrationId: integration.id,
        legacySignatures: integration.legacySignatures,
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
            ...firstEvent(audit),
          }),
          put({ ...credentialAddress(integration.apiKey), type: 'credential', ...credential }),
          put(keyItem(firstKey.key, firstKey.audit)),
        ],
      });
    },

    async getIntegration(accountId, integrationId) {
      const { Item: item } = await get({
        TableName: tableName,
        Key: { pk: TableKeys.account(accountId), sk: TableKeys.integration(integrationId) },
      });
      return item ? withHead<Integration>(item) : undefined;
    },

    async listIntegrations(accountId, { limit, cursor }): Promise<Page<Integration>> {
      const after = decodeCursor(cursor, (sk) => sk.startsWith(TableKeys.integrationPrefix));
      const result = await send(
        new QueryCommand({
          TableName: tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: {
            ':pk': TableKeys.account(accountId),
            ':prefix': TableKeys.integrationPrefix,
          },
          Limit: limit,
          ExclusiveStartKey:
            after === undefined ? undefined : { pk: TableKeys.account(accountId), sk: after },
        }),
      );
      const last = result.LastEvaluatedKey?.sk;
      return {
        items: (result.Items ?? []).map((item) => strip<Integration>(item)),
        nextCursor: typeof last === 'string' ? encodeCursor(last) : null,
      };
    },

    async addKey({ key, signing, audit, apiKey, maxUsableKeys }) {
      try {
        await call(
          new TransactWriteCommand({
            TransactItems: [
              put(keyItem(key, audit)),
              credentialUpdate(apiKey, key.accountId, {
                update: 'SET #keys.#keyId = :entry',
                condition: 'size(#keys) < :max',
                names: { '#keyId': key.id },
                values: { ':entry': storedEntry(signing), ':max': maxUsableKeys },
              }),
            ],
          }),
        );
      } catch (error) {
        if (isConditionFailure(error, 1)) throw tooManyKeys(maxUsableKeys);
        throw failure(error);
      }
    },

    getKey: (accountId, integrationId, keyId) => readKey(accountId, integrationId, keyId),

    async listKeys(accountId, integrationId) {
      const items = await queryPrefix(TableKeys.account(accountId), TableKeys.keyPrefix(integrationId));
      return items.map(keyOf);
    },

    async commitReveal(input): Promise<RevealOutcome> {
      const { key, revealId } = input;
      let head = key.auditHead;
      for (let attempt = 0; ; attempt++) {
        const result = await commitRevealOnce(input, head);
        if (result.outcome === 'committed') return { status: 'committed' };
        // Lost a race, failed a condition, or cannot tell: the stored key says who won.
        let current = result.current;
        if (current === undefined) {
          try {
            current = await readKey(key.accountId, key.integrationId, key.id);
          } catch {
            throw result.outcome === 'unknown' ? new OutcomeUnknownError() : new RetryableError();
          }
        }
        if (!current) return { status: 'not-viewable', key };
        if (current.revealId === revealId) return { status: 'committed' };
        if (current.displayCiphertext === undefined || current.status === 'revoked') {
          return { status: 'not-viewable', key: current };
        }
        // Still viewable: our commit did not apply. Nothing changed, so a retry (ours or the caller's) is safe,
        // after the event another write added to the key, if one did.
        head = current.auditHead;
        const wait = revealRetryWaitMs(attempt, Math.random());
        const outOfRetries = attempt >= revealConflictRetries;
        // Stryker disable next-line EqualityOperator: only a wait exactly equal to the time left separates >= from >, an instant no test can aim at (the marker covers the line's other operator mutants too)
        const outOfTime = wait >= (remainingMs(READBACK_RESERVE_MS) ?? Infinity);
        if (outOfRetries || outOfTime) throw new RetryableError();
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    },

    revokeKey: ({ key, apiKey, revokedAt, revokedBy, audit }) =>
      extendHead<RevokeOutcome>(
        audit,
        key.auditHead,
        async (chain) => {
          try {
            await call(
              new TransactWriteCommand({
                TransactItems: [
                  {
                    Update: {
                      TableName: tableName,
                      Key: keyAddress(key),
                      UpdateExpression: updateExpression(
                        ['#status = :revoked', 'revokedAt = :revokedAt', 'revokedBy = :revokedBy', chain.set],
                        ['displayCiphertext', ...dueUpdate(undefined).remove],
                      ),
                      ConditionExpression: `attribute_exists(pk) AND #status <> :revoked AND ${chain.condition}`,
                      ExpressionAttributeNames: { '#status': 'status', ...chain.names },
                      ExpressionAttributeValues: {
                        ':revoked': 'revoked',
                        ':revokedAt': revokedAt,
                        ':revokedBy': revokedBy,
                        ...chain.values,
                      },
                      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                    },
                  },
                  credentialUpdate(apiKey, key.accountId, {
                    update: 'REMOVE #keys.#keyId',
                    names: { '#keyId': key.id },
                    values: {},
                  }),
                ],
              }),
            );
          } catch (error) {
            // Only a failed condition returns the item (ReturnValuesOnConditionCheckFailure).
            const current = conditionItem(error, 0);
            scrub(error);
            if (current?.status === 'revoked') {
              return { done: { status: 'already-revoked', key: keyOf(current) } };
            }
            // Still revocable: another write added an event to the key since it was read.
            if (current) return { moved: current };
            throw failure(error);
          }
          const { displayCiphertext: _, dueAt: _due, ...rest } = key;
          return {
            done: {
              status: 'revoked',
              key: { ...rest, status: 'revoked', revokedAt, revokedBy, auditHead: chain.head },
            },
          };
        },
        key.id,
      ),

    async listAudit(accountId, integrationId, { limit, cursor }) {
      const before = decodeCursor(cursor, (id) => ID_PATTERNS.event.test(id));
      const [integration, keys] = await Promise.all([
        get({
          TableName: tableName,
          Key: { pk: TableKeys.account(accountId), sk: TableKeys.integration(integrationId) },
          ...EVENTS,
        }),
        // The sort key too: a key item's events take their keyId from it (codec.ts storedEvent).
        queryPrefix(TableKeys.account(accountId), TableKeys.keyPrefix(integrationId), EVENTS),
      ]);
      const events = newestFirst(
        [integration.Item, ...keys]
          .flatMap((item) => eventsOf(item, accountId, integrationId))
          .filter((event) => before === undefined || event.id < before),
      );
      const items = events.slice(0, limit);
      const last = items.at(-1);
      return { items, nextCursor: events.length > limit && last ? encodeCursor(last.id) : null };
    },

    async rotateKey({ apiKey, previous, expiresAt, previousDueAt, successor, audit, maxUsableKeys }) {
      const due = dueUpdate(previousDueAt);
      await extendHead(
        audit,
        previous.auditHead,
        async (chain) => {
          try {
            await call(
              new TransactWriteCommand({
                TransactItems: [
                  put(keyItem(successor.key, successor.audit)),
                  {
                    Update: {
                      TableName: tableName,
                      Key: keyAddress(previous),
                      UpdateExpression: updateExpression(
                        ['#status = :expiring', 'expiresAt = :expiresAt', chain.set, ...due.set],
                        due.remove,
                      ),
                      ConditionExpression: `#status = :active AND ${chain.condition}`,
                      ExpressionAttributeNames: { '#status': 'status', ...chain.names },
                      ExpressionAttributeValues: {
                        ':expiring': 'expiring',
                        ':active': 'active',
                        ':expiresAt': expiresAt,
                        ...due.values,
                        ...chain.values,
                      },
                      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                    },
                  },
                  credentialUpdate(apiKey, previous.accountId, {
                    update:
                      'SET #keys.#new = :entry, #keys.#old.#status = :expiring, #keys.#old.expiresAt = :expiresAt',
                    condition: 'attribute_exists(#keys.#old) AND size(#keys) < :max',
                    names: { '#new': successor.key.id, '#old': previous.id, '#status': 'status' },
                    values: {
                      ':entry': storedEntry(successor.signing),
                      ':expiring': 'expiring',
                      ':expiresAt': expiresAt,
                      ':max': maxUsableKeys,
                    },
                  }),
                ],
              }),
            );
            return { done: undefined };
          } catch (error) {
            if (isConditionFailure(error, 1)) {
              const current = conditionItem(error, 1);
              scrub(error);
              // Still active: another write added an event to the key since it was read; extend the new head.
              if (current?.status !== 'active') throw keyNotActive();
              return { moved: current };
            }
            if (isConditionFailure(error, 2)) throw tooManyKeys(maxUsableKeys);
            throw failure(error);
          }
        },
        previous.id,
      );
    },

    async findIntegration(integrationId) {
      const result = await send(
        new QueryCommand({
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

    recordKeyUse: ({ accountId, integrationId, keyId, at, notBefore }) =>
      conditional(
        new UpdateCommand({
          TableName: tableName,
          Key: keyAddress({ accountId, integrationId, id: keyId }),
          UpdateExpression: 'SET lastUsedAt = :at',
          ConditionExpression:
            'attribute_exists(pk) AND (attribute_not_exists(lastUsedAt) OR lastUsedAt < :notBefore)',
          ExpressionAttributeValues: { ':at': at, ':notBefore': notBefore },
        }),
      ),

    async updateIntegration({ integration, changes, updatedAt, updatedBy, audit }) {
      let stored = integration;
      return extendHead<Integration>(audit, integration.auditHead, async (chain) => {
        const set: string[] = ['updatedAt = :updatedAt', 'updatedBy = :updatedBy', chain.set];
        const values: Item = { ':updatedAt': updatedAt, ':updatedBy': updatedBy, ...chain.values };
        if (changes.name !== undefined) {
          set.push('#name = :name');
          values[':name'] = changes.name;
        }
        if (changes.legacySignatures !== undefined) {
          set.push('legacySignatures = :legacy');
          values[':legacy'] = changes.legacySignatures;
        }
        try {
          await call(
            new TransactWriteCommand({
              TransactItems: [
                {
                  Update: {
                    TableName: tableName,
                    Key: {
                      pk: TableKeys.account(integration.accountId),
                      sk: TableKeys.integration(integration.id),
                    },
                    UpdateExpression: `SET ${set.join(', ')}`,
                    ConditionExpression: `attribute_exists(pk) AND ${chain.condition}`,
                    ExpressionAttributeNames: {
                      ...(changes.name !== undefined ? { '#name': 'name' } : {}),
                      ...chain.names,
                    },
                    ExpressionAttributeValues: values,
                    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
                  },
                },
                credentialUpdate(integration.apiKey, integration.accountId, {
                  update: 'SET legacySignatures = :legacy',
                  names: {},
                  values: { ':legacy': changes.legacySignatures ?? stored.legacySignatures },
                }),
              ],
            }),
          );
        } catch (error) {
          const current = isConditionFailure(error, 0) ? conditionItem(error, 0) : undefined;
          scrub(error);
          // Another change landed since the integration was read: apply this one on top of it.
          if (current) {
            stored = withHead<Integration>(current);
            return { moved: current };
          }
          throw failure(error);
        }
        return {
          done: {
            ...stored,
            ...(changes.name !== undefined ? { name: changes.name } : {}),
            ...(changes.legacySignatures !== undefined ? { legacySignatures: changes.legacySignatures } : {}),
            updatedAt,
            updatedBy,
            auditHead: chain.head,
          },
        };
      });
    },

    async pruneExpired(apiKey, accountId, now) {
      const { Item: item } = await get({
        TableName: tableName,
        Key: credentialAddress(apiKey),
        ConsistentRead: true,
      });
      if (!item || item.accountId !== accountId) return 0;
      const expired = Object.entries(credentialOf(item).keys)
        .filter(([, entry]) => entry.expiresAt !== undefined && entry.expiresAt <= now)
        .map(([keyId]) => keyId);
      if (expired.length === 0) return 0;
      const names = Object.fromEntries(expired.map((keyId, i) => [`#e${i}`, keyId]));
      try {
        await call(
          new UpdateCommand({
            TableName: tableName,
            Key: credentialAddress(apiKey),
            UpdateExpression: `REMOVE ${expired.map((_, i) => `#keys.#e${i}`).join(', ')}`,
            // Only entries that are still expired: a concurrent change wins, and nothing usable is dropped.
            ConditionExpression: [
              'accountId = :account',
              ...expired.map((_, i) => `#keys.#e${i}.expiresAt <= :now`),
            ].join(' AND '),
            ExpressionAttributeNames: { '#keys': 'keys', ...names },
            ExpressionAttributeValues: { ':account': accountId, ':now': now },
          }),
        );
      } catch (error) {
        if (isConditionFailure(error)) return 0;
        throw failure(error);
      }
      return expired.length;
    },

    async getRotationSettings(accountId) {
      const { Item: item } = await get({ TableName: tableName, Key: settingsAddress(accountId) });
      return item ? strip<RotationSettings>(item) : undefined;
    },

    putRotationSettings: ({ accountId, settings, audit }) =>
      putSettings(settingsAddress(accountId), accountId, { ...settings }, audit),

    async getLeakPolicy(accountId) {
      const { Item: item } = await get({ TableName: tableName, Key: leakAddress(accountId) });
      return item ? strip<LeakSettings>(item) : undefined;
    },

    putLeakPolicy: ({ accountId, settings, audit }) =>
      putSettings(leakAddress(accountId), accountId, { ...settings }, audit),

    async findKeyByFingerprint(fingerprint) {
      const result = await send(
        new QueryCommand({
          TableName: tableName,
          IndexName: GSI3,
          KeyConditionExpression: '#fp = :fp',
          ExpressionAttributeNames: { '#fp': TABLE.gsi3.partitionKey },
          ExpressionAttributeValues: { ':fp': fingerprint },
          Limit: 2,
        }),
      );
      const [item] = result.Items ?? [];
      return item ? strip<FoundKey>(item) : undefined;
    },

    async recordKeyEvent({ key, audit }) {
      await chained.append(keyAddress(key), audit, (chain) => ({ update: `SET ${chain.set}` }));
    },

    async reindexKeys(accountId, plan) {
      const items = await queryPrefix(TableKeys.account(accountId), TableKeys.anyKeyPrefix);
      let changed = 0;
      for (const key of items.map(keyOf)) {
        const next = plan(key);
        if (!next || (next.rotationDueAt === key.rotationDueAt && next.dueAt === key.dueAt)) continue;
        const due = dueUpdate(next.dueAt);
        const set = [...due.set, ...(next.rotationDueAt ? ['rotationDueAt = :rotationDueAt'] : [])];
        const remove = [...due.remove, ...(next.rotationDueAt ? [] : ['rotationDueAt'])];
        // Only if nothing changed the key since it was read (a reminder, a rotation): that change wins.
        const written = await conditional(
          new UpdateCommand({
            TableName: tableName,
            Key: keyAddress(key),
            UpdateExpression: updateExpression(set, remove),
            ConditionExpression: [
              '#status = :status',
              unchanged('dueAt', ':seen', key.dueAt),
              unchanged('remindedAt', ':reminded', key.remindedAt),
            ].join(' AND '),
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ...due.values,
              ...(next.rotationDueAt ? { ':rotationDueAt': next.rotationDueAt } : {}),
              ':status': key.status,
              // An absent one is checked by attribute_not_exists; the client drops its undefined value.
              ':seen': key.dueAt,
              ':reminded': key.remindedAt,
            },
          }),
        );
        if (written) changed++;
      }
      return changed;
    },

    async getCredential(apiKey): Promise<Credential | undefined> {
      const { Item: item } = await get({
        TableName: tableName,
        Key: credentialAddress(apiKey),
        ConsistentRead: true,
      });
      return item ? credentialOf(item) : undefined;
    },
  };
}
