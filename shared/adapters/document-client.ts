import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import { type AwsJsonClient, AwsServiceError } from './aws-json.js';

/**
 * DynamoDB with native JavaScript values, like the SDK's DocumentClient: keys, items and expression
 * values are marshalled on the way in, items on the way out (also the `Item` a failed condition or a
 * cancelled transaction returns with ReturnValuesOnConditionCheckFailure). Only the operations and
 * fields this product uses are typed.
 */

export type Item = Record<string, unknown>;

interface Expressions {
  ConditionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
  ReturnValuesOnConditionCheckFailure?: 'ALL_OLD' | 'NONE';
}

export interface GetInput {
  TableName: string;
  Key: Item;
  ConsistentRead?: boolean;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
}

export interface QueryInput {
  TableName: string;
  IndexName?: string;
  KeyConditionExpression: string;
  FilterExpression?: string;
  ProjectionExpression?: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Item;
  ExclusiveStartKey?: Item;
  Limit?: number;
  ScanIndexForward?: boolean;
  ConsistentRead?: boolean;
}

export interface UpdateInput extends Expressions {
  TableName: string;
  Key: Item;
  UpdateExpression: string;
  ReturnValues?: 'NONE' | 'ALL_OLD' | 'UPDATED_OLD' | 'ALL_NEW' | 'UPDATED_NEW';
}

export interface PutInput extends Expressions {
  TableName: string;
  Item: Item;
}

export interface TransactWriteItem {
  Put?: PutInput;
  Update?: UpdateInput;
  Delete?: Expressions & { TableName: string; Key: Item };
  ConditionCheck?: Expressions & { TableName: string; Key: Item; ConditionExpression: string };
}

export interface TransactWriteInput {
  TransactItems: TransactWriteItem[];
  /** Filled by the client when absent; every retry of one call resends the same token. */
  ClientRequestToken?: string;
}

export interface CancellationReason {
  Code?: string;
  Message?: string;
  Item?: Item;
}

export interface DocumentClient {
  readonly raw: AwsJsonClient;
  get(input: GetInput): Promise<{ Item?: Item }>;
  query(input: QueryInput): Promise<{ Items: Item[]; LastEvaluatedKey?: Item }>;
  update(input: UpdateInput): Promise<{ Attributes?: Item }>;
  put(input: PutInput): Promise<{ Attributes?: Item }>;
  transactWrite(input: TransactWriteInput): Promise<void>;
}

const MARSHALL = { removeUndefinedValues: true, convertClassInstanceToMap: false } as const;
const toWire = (value: Item) => marshall(value, MARSHALL) as Item;
/** The JSON protocol carries binary attributes as base64 text; the marshaller expects bytes. */
function decodeBinary(value: unknown): unknown {
  if (!value || typeof value !== 'object') return value;
  const attribute = value as Record<string, unknown>;
  if (typeof attribute.B === 'string') return { B: Buffer.from(attribute.B, 'base64') };
  if (Array.isArray(attribute.BS)) return { BS: attribute.BS.map((b) => Buffer.from(String(b), 'base64')) };
  if (Array.isArray(attribute.L)) return { L: attribute.L.map(decodeBinary) };
  if (attribute.M && typeof attribute.M === 'object') return { M: decodeItem(attribute.M as Item) };
  return value;
}

function decodeItem(item: Item): Item {
  return Object.fromEntries(Object.entries(item).map(([name, value]) => [name, decodeBinary(value)]));
}

const fromWire = (value: unknown) =>
  unmarshall(decodeItem(value as Item) as Parameters<typeof unmarshall>[0]);

/** Marshals the value-carrying fields of one request or transaction entry. */
function wire<T extends object>(input: T): Item {
  const out: Item = { ...(input as Item) };
  for (const field of ['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey'] as const) {
    const value = out[field];
    if (value && typeof value === 'object') out[field] = toWire(value as Item);
  }
  return out;
}

/** The condition-failure payloads come back marshalled too. */
function decodeError(error: unknown): unknown {
  if (!(error instanceof AwsServiceError)) return error;
  const { Item: item, CancellationReasons: reasons } = error.details;
  if (item && typeof item === 'object') error.details.Item = fromWire(item);
  if (Array.isArray(reasons)) {
    error.details.CancellationReasons = reasons.map((reason: Record<string, unknown>) =>
      reason?.Item ? { ...reason, Item: fromWire(reason.Item) } : reason,
    );
  }
  return error;
}

export function createDocumentClient(raw: AwsJsonClient): DocumentClient {
  async function call<T>(operation: string, input: Item): Promise<T> {
    try {
      return await raw.call<T>(operation, input);
    } catch (error) {
      throw decodeError(error);
    }
  }

  return {
    raw,
    async get(input) {
      const out = await call<{ Item?: Item }>('GetItem', wire(input));
      return out.Item ? { Item: fromWire(out.Item) } : {};
    },
    async query(input) {
      const out = await call<{ Items?: Item[]; LastEvaluatedKey?: Item }>('Query', wire(input));
      return {
        Items: (out.Items ?? []).map(fromWire),
        ...(out.LastEvaluatedKey ? { LastEvaluatedKey: fromWire(out.LastEvaluatedKey) } : {}),
      };
    },
    async update(input) {
      const out = await call<{ Attributes?: Item }>('UpdateItem', wire(input));
      return out.Attributes ? { Attributes: fromWire(out.Attributes) } : {};
    },
    async put(input) {
      const out = await call<{ Attributes?: Item }>('PutItem', wire(input));
      return out.Attributes ? { Attributes: fromWire(out.Attributes) } : {};
    },
    async transactWrite({ TransactItems, ClientRequestToken }) {
      const items = TransactItems.map((entry) =>
        Object.fromEntries(Object.entries(entry).map(([kind, op]) => [kind, wire(op as object)])),
      );
      await call('TransactWriteItems', {
        TransactItems: items,
        ...(ClientRequestToken ? { ClientRequestToken } : {}),
      });
    },
  };
}

/** The reasons a cancelled transaction gives, one per entry, in order (`None` for entries that passed). */
export function cancellationCodes(error: unknown): string[] | undefined {
  if (!(error instanceof AwsServiceError) || error.name !== 'TransactionCanceledException') return undefined;
  const reasons = error.details.CancellationReasons;
  return Array.isArray(reasons) ? reasons.map((reason: CancellationReason) => reason?.Code ?? 'None') : [];
}
