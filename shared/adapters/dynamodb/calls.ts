import {
  type BatchGetCommand,
  type DynamoDBDocumentClient,
  type GetCommand,
  type PutCommand,
  QueryCommand,
  type QueryCommandInput,
  type ScanCommand,
  type TransactWriteCommand,
  type UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { RetryableError } from '../../domain/errors.js';
import { deadlineSignal } from '../../runtime/deadline.js';
import type { Item } from './codec.js';
import { isConditionFailure, isTransient, scrub } from './errors.js';

export type Command =
  | GetCommand
  | QueryCommand
  | ScanCommand
  | UpdateCommand
  | PutCommand
  | TransactWriteCommand
  | BatchGetCommand;

type Output<C> = C extends GetCommand
  ? { Item?: Item }
  : C extends QueryCommand | ScanCommand
    ? { Items?: Item[]; LastEvaluatedKey?: Item }
    : C extends BatchGetCommand
      ? { Responses?: Record<string, Item[]>; UnprocessedKeys?: Record<string, unknown> }
      : { Attributes?: Item };

/** The adapters' way to DynamoDB: every call carries the request's deadline, and fails in one vocabulary. */
export function tableCalls(client: DynamoDBDocumentClient) {
  /** Every call carries the request's deadline (less `reserveMs`) as its abort signal. */
  function call<C extends Command>(command: C, reserveMs = 0) {
    // The document client's send is overloaded per command; its output type follows the command's.
    return client.send(command as never, { abortSignal: deadlineSignal(reserveMs) }) as unknown as Promise<
      Output<C>
    >;
  }

  /** What leaves the adapter: throttling, timeouts and 5xx as a 503 that says a retry is safe. */
  function failure(error: unknown): unknown {
    scrub(error);
    if (isTransient(error) && !isConditionFailure(error)) return new RetryableError();
    return error;
  }

  async function send<C extends Command>(command: C) {
    try {
      return await call(command);
    } catch (error) {
      throw failure(error);
    }
  }

  /** A conditional write whose failed condition is an answer (false), not an error. */
  async function conditional<C extends Command>(command: C): Promise<boolean> {
    try {
      await call(command);
      return true;
    } catch (error) {
      if (isConditionFailure(error)) {
        scrub(error);
        return false;
      }
      throw failure(error);
    }
  }

  /** Every item a query matches, across all its pages. */
  async function queryAll(input: Omit<QueryCommandInput, 'ExclusiveStartKey'>): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await send(new QueryCommand({ ...input, ExclusiveStartKey: start }));
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  }

  return { call, send, failure, conditional, queryAll };
}
