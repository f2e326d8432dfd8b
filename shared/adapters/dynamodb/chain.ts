import { type DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../../domain/errors.js';
import type { AuditEvent } from '../../domain/model.js';
import { tableCalls } from './calls.js';
import { appendEvent, headOf, type Item, keyIdOf } from './codec.js';
import { conditionItem, isConditionFailure, scrub } from './errors.js';
import { HEAD_ATTRIBUTE, TABLE } from './table.js';

/** How often a write that adds an audit event re-reads a head another writer moved before giving up. */
export const HEAD_RETRIES = 10;

/**
 * The pause before trying again on a moved head, in ms: full jitter over a span that doubles from 10 ms
 * to at most 400 ms, so writers racing for one item spread out instead of colliding again. `random` is
 * in [0, 1).
 */
export const headBackoffMs = (attempt: number, random: number) => random * Math.min(400, 10 * 2 ** attempt);

const headBackoff = (attempt: number) =>
  new Promise((resolve) => setTimeout(resolve, headBackoffMs(attempt, Math.random())));

export type Chain = ReturnType<typeof appendEvent>;

/**
 * Runs `write` with `event` linked after `head`, and again — after a random pause — each time `write`
 * reports that another writer moved the head (`moved`: the item as its failed condition returned it).
 */
export async function extendHead<T>(
  event: AuditEvent,
  head: string | undefined,
  write: (chain: Chain) => Promise<{ done: T } | { moved: Item }>,
  /** The key whose item this is, when it is a key item (codec.ts `storedEvent`). */
  itemKeyId?: string,
): Promise<T> {
  let current = head;
  for (let attempt = 0; attempt < HEAD_RETRIES; attempt++) {
    const result = await write(appendEvent(event, current, itemKeyId));
    if ('done' in result) return result.done;
    current = headOf(result.moved);
    await headBackoff(attempt);
  }
  throw new RetryableError();
}

/** An update's own part, around the event it adds (codec.ts `appendEvent`). */
export interface ChainedUpdate {
  update: string;
  condition?: string;
  names?: Record<string, string>;
  values?: Item;
}

/**
 * Single-item updates that add an audit event to an existing item. The write conditions on the head of
 * the item's chain; when another writer moved the head in between, the update reads the new head and
 * tries again, so an event always extends the chain it was written after.
 */
export function chainedUpdates(client: DynamoDBDocumentClient, tableName: string) {
  const { call, failure } = tableCalls(client);

  async function readHead(key: Item): Promise<string | undefined> {
    const { Item: item } = await call(
      new GetCommand({
        TableName: tableName,
        Key: key,
        ConsistentRead: true,
        ProjectionExpression: '#head',
        ExpressionAttributeNames: { '#head': HEAD_ATTRIBUTE },
      }),
    ).catch((error: unknown) => {
      throw failure(error);
    });
    return headOf(item);
  }

  /**
   * Adds `event` with `build`'s update, on its condition and the head's, read first. False when the
   * update's own condition failed (an answer, not an error).
   */
  async function append(
    key: Item,
    event: AuditEvent,
    build: (chain: Chain) => ChainedUpdate,
  ): Promise<boolean> {
    return extendHead<boolean>(
      event,
      await readHead(key),
      async (chain) => {
        const own = build(chain);
        try {
          await call(
            new UpdateCommand({
              TableName: tableName,
              Key: key,
              UpdateExpression: own.update,
              ConditionExpression: [`attribute_exists(${TABLE.partitionKey})`, own.condition, chain.condition]
                .filter(Boolean)
                .join(' AND '),
              ExpressionAttributeNames: { ...own.names, ...chain.names },
              ExpressionAttributeValues: { ...own.values, ...chain.values },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            }),
          );
          return { done: true };
        } catch (error) {
          if (!isConditionFailure(error)) throw failure(error);
          const current = conditionItem(error);
          scrub(error);
          // The item is gone, or its own condition failed with the head as read: that is the answer.
          if (!current || headOf(current) === chain.seen) return { done: false };
          return { moved: current };
        }
      },
      keyIdOf(key[TABLE.sortKey]),
    );
  }

  return { append };
}
