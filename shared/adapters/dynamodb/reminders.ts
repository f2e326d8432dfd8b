import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../../domain/errors.js';
import type { DueKey, ReminderStore } from '../../domain/reminders.js';
import type { RotationSettings } from '../../domain/rotation.js';
import { tableCalls } from './calls.js';
import { chainedUpdates } from './chain.js';
import { dueUpdate, type Item, strip, updateExpression } from './codec.js';
import { GSI2, TABLE, TableKeys } from './table.js';

/** BatchGetItem takes at most 100 keys a call. */
const BATCH = 100;

/** The reminder job's reads and writes: the due index (gsi2), the settings and integration items, its progress. */
export function createReminderStore({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): ReminderStore {
  const { send, conditional, queryAll } = tableCalls(client);
  const chained = chainedUpdates(client, tableName);
  const keyAddress = (key: DueKey) => ({
    pk: TableKeys.account(key.accountId),
    sk: TableKeys.key(key.integrationId, key.id),
  });
  const jobAddress = { pk: TableKeys.reminderJob, sk: TableKeys.jobState };

  /** Items by key, in batches, with DynamoDB's unprocessed keys asked again. */
  async function batchGet(keys: Item[], projection: string[]): Promise<Item[]> {
    const items: Item[] = [];
    for (let i = 0; i < keys.length; i += BATCH) {
      let pending: Item[] = keys.slice(i, i + BATCH);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 5) throw new RetryableError();
        const names = Object.fromEntries(projection.map((name, n) => [`#p${n}`, name]));
        const result = await send(
          new BatchGetCommand({
            RequestItems: {
              [tableName]: {
                Keys: pending,
                ProjectionExpression: Object.keys(names).join(', '),
                ExpressionAttributeNames: names,
              },
            },
          }),
        );
        items.push(...(result.Responses?.[tableName] ?? []));
        const unprocessed = result.UnprocessedKeys?.[tableName] as { Keys?: Item[] } | undefined;
        pending = unprocessed?.Keys ?? [];
        if (pending.length) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
      }
    }
    return items;
  }

  /** The key's next place in the index, and the condition that it is still where the index said. */
  function move(key: DueKey, next: string | undefined) {
    const due = dueUpdate(next);
    return {
      set: due.set,
      remove: due.remove,
      values: { ...due.values, ':seen': key.dueAt },
      condition: 'dueAt = :seen',
    };
  }

  return {
    async dueKeys(day, until) {
      const items = await queryAll({
        TableName: tableName,
        IndexName: GSI2,
        KeyConditionExpression: '#pk = :day AND #sk <= :until',
        ExpressionAttributeNames: { '#pk': TABLE.gsi2.partitionKey, '#sk': TABLE.gsi2.sortKey },
        ExpressionAttributeValues: { ':day': TableKeys.due(day), ':until': until },
      });
      return items.map((item) => strip<DueKey>(item));
    },

    async settingsOf(accountIds) {
      const items = await batchGet(
        accountIds.map((accountId) => ({ pk: TableKeys.account(accountId), sk: TableKeys.rotationSettings })),
        ['accountId', 'rotationPeriodDays', 'reminderIntervalDays'],
      );
      return new Map(items.map((item) => [String(item.accountId), strip<Partial<RotationSettings>>(item)]));
    },

    async integrationNames(keys) {
      const unique = [...new Map(keys.map((key) => [`${key.accountId}/${key.integrationId}`, key])).values()];
      const items = await batchGet(
        unique.map((key) => ({
          pk: TableKeys.account(key.accountId),
          sk: TableKeys.integration(key.integrationId),
        })),
        ['accountId', 'id', 'name'],
      );
      return new Map(
        items.map((item) => [`${String(item.accountId)}/${String(item.id)}`, String(item.name)]),
      );
    },

    recordReminder({ key, reason, at, next, notRemindedSince, audit }) {
      const place = move(key, next);
      const mark = reason === 'expired' ? 'expiryNotifiedAt = :at' : 'remindedAt = :at';
      const conditions = [place.condition, '#status <> :revoked'];
      if (reason !== 'expired') {
        conditions.push('(attribute_not_exists(remindedAt) OR remindedAt <= :notRemindedSince)');
      } else {
        conditions.push('attribute_not_exists(expiryNotifiedAt)');
      }
      return chained.append(keyAddress(key), audit, (chain) => ({
        update: updateExpression([mark, chain.set, ...place.set], place.remove),
        condition: conditions.join(' AND '),
        names: { '#status': 'status' },
        values: {
          ':at': at,
          ':revoked': 'revoked',
          ...(reason === 'expired' ? {} : { ':notRemindedSince': notRemindedSince }),
          ...place.values,
        },
      }));
    },

    reschedule(key, next) {
      const place = move(key, next);
      return conditional(
        new UpdateCommand({
          TableName: tableName,
          Key: keyAddress(key),
          UpdateExpression: updateExpression(place.set, place.remove),
          ConditionExpression: place.condition,
          ExpressionAttributeValues: place.values,
        }),
      );
    },

    async firstDay() {
      const { Item: item } = await send(
        new GetCommand({ TableName: tableName, Key: jobAddress, ConsistentRead: true }),
      );
      return typeof item?.firstDay === 'string' ? item.firstDay : undefined;
    },

    async setFirstDay(day) {
      await send(
        new UpdateCommand({
          TableName: tableName,
          Key: jobAddress,
          UpdateExpression: 'SET #type = :type, firstDay = :day',
          ExpressionAttributeNames: { '#type': 'type' },
          ExpressionAttributeValues: { ':type': 'job', ':day': day },
        }),
      );
    },
  };
}
