import { appendFileSync } from 'node:fs';
import { DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import type { DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { LIFECYCLE_FILTER } from '../shared/adapters/dynamodb/stream.js';

/**
 * What Lambda's event source mapping does on AWS, for DynamoDB Local: reads the table's stream, keeps
 * the records the deployed filter keeps, hands them in order to the stream consumer in Lambda's event
 * shape, and retries from the first record the consumer reports failed (partial-batch response); after
 * MAX_ATTEMPTS a batch goes to the failures file, as it would go to the dead-letter queue.
 */
export interface StreamReader {
  /** Reads and delivers until the stream has nothing new (for tests and the reminder command). */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

const MAX_ATTEMPTS = 10;

type Deliver = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse | undefined>;

function keep(record: StreamRecord): boolean {
  const type = record.dynamodb?.NewImage?.type;
  return (
    LIFECYCLE_FILTER.eventName.includes(record.eventName ?? '') &&
    type !== undefined &&
    'S' in type &&
    LIFECYCLE_FILTER.dynamodb.NewImage.type.S.includes(type.S ?? '')
  );
}

/** Lambda hands the consumer images as the stream's JSON: the SDK's decoded values, binary as base64. */
function asLambdaRecord(record: StreamRecord, streamArn: string): DynamoDBRecord {
  const json = JSON.parse(
    JSON.stringify(record, (_key, value) =>
      value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value,
    ),
  ) as DynamoDBRecord;
  return { ...json, eventSource: 'aws:dynamodb', awsRegion: 'us-east-1', eventSourceARN: streamArn };
}

export async function startStreamReader(options: {
  endpoint: string;
  tableName: string;
  deliver: Deliver;
  failuresFile: string;
  intervalMs?: number;
  onError?: (error: unknown) => void;
}): Promise<StreamReader> {
  const config = {
    region: 'us-east-1',
    endpoint: options.endpoint,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  };
  const dynamodb = new DynamoDBClient(config);
  const streams = new DynamoDBStreamsClient(config);
  const table = await dynamodb.send(new DescribeTableCommand({ TableName: options.tableName }));
  dynamodb.destroy();
  const streamArn = table.Table?.LatestStreamArn;
  if (!streamArn) throw new Error(`Table ${options.tableName} has no stream`);

  /** Open iterators by shard; a shard seen at start is read from now on, a later one from its start. */
  const iterators = new Map<string, string>();
  const done = new Set<string>();
  const pending = new Map<string, { records: StreamRecord[]; attempts: number }>();

  async function discover(initial: boolean) {
    const { StreamDescription: stream } = await streams.send(
      new DescribeStreamCommand({ StreamArn: streamArn }),
    );
    for (const shard of stream?.Shards ?? []) {
      const id = shard.ShardId;
      if (!id || iterators.has(id) || done.has(id)) continue;
      if (initial && shard.SequenceNumberRange?.EndingSequenceNumber) {
        done.add(id);
        continue;
      }
      const { ShardIterator } = await streams.send(
        new GetShardIteratorCommand({
          StreamArn: streamArn,
          ShardId: id,
          ShardIteratorType: initial ? 'LATEST' : 'TRIM_HORIZON',
        }),
      );
      if (ShardIterator) iterators.set(id, ShardIterator);
    }
  }

  async function deliver(shard: string, records: StreamRecord[]) {
    const batch = pending.get(shard) ?? { records: [], attempts: 0 };
    batch.records.push(...records.filter(keep));
    if (batch.records.length === 0) return;
    pending.set(shard, batch);
    const response = await options
      .deliver({ Records: batch.records.map((record) => asLambdaRecord(record, streamArn as string)) })
      .catch(() => ({
        batchItemFailures: [{ itemIdentifier: batch.records[0]?.dynamodb?.SequenceNumber ?? '' }],
      }));
    const failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    const first = batch.records.findIndex((record) => failed.has(record.dynamodb?.SequenceNumber ?? ''));
    if (first < 0) {
      pending.delete(shard);
      return;
    }
    batch.records = batch.records.slice(first);
    batch.attempts++;
    if (batch.attempts >= MAX_ATTEMPTS) {
      for (const record of batch.records)
        appendFileSync(
          options.failuresFile,
          `${JSON.stringify(asLambdaRecord(record, streamArn as string).dynamodb?.Keys)}\n`,
        );
      pending.delete(shard);
    }
  }

  /** One pass over every shard; true when something was read or is still waiting to be delivered. */
  async function pass(): Promise<boolean> {
    let busy = false;
    await discover(false);
    for (const [shard, iterator] of [...iterators]) {
      const result = await streams.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
      const records = result.Records ?? [];
      if (records.length) busy = true;
      if (result.NextShardIterator) iterators.set(shard, result.NextShardIterator);
      else {
        iterators.delete(shard);
        done.add(shard);
      }
      await deliver(shard, records);
      if (pending.has(shard)) busy = true;
    }
    return busy;
  }

  await discover(true);
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  const tick = () => {
    if (stopped) return;
    running = pass()
      .catch((error) => options.onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 200);
      });
  };
  let timer: NodeJS.Timeout = setTimeout(tick, 0);

  return {
    async drain() {
      await running;
      clearTimeout(timer);
      try {
        while (await pass()) {
          // until nothing new and nothing waiting
        }
      } finally {
        if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 200);
      }
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running.catch(() => undefined);
      streams.destroy();
    },
  };
}
