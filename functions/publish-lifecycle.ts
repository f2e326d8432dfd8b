import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { addedEvents } from '../shared/adapters/dynamodb/stream.js';
import { publishChanges } from '../shared/domain/lifecycle.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { logger } from '../shared/http/logger.js';
import { lifecyclePublisher } from '../shared/job-wiring.js';

const publisher = lifecyclePublisher();

/**
 * The table stream's consumer: each audit event a change added is put on EventBridge as a lifecycle
 * event. Failures are answered per record (partial-batch response), from the first that failed on, so a
 * retry starts there; records that keep failing go to the event source's dead-letter queue.
 */
export const handler = lambdaHandler<DynamoDBStreamEvent, DynamoDBBatchResponse>((chain) =>
  chain.handler(async (event) => {
    const changes = event.Records.map((record) => ({
      // Lambda reads an empty identifier as "the whole batch failed": the safe answer for a record
      // without the sequence number a partial-batch response names.
      id: record.dynamodb?.SequenceNumber ?? '',
      events: addedEvents(record),
    })).filter((change) => change.events.length > 0);
    const failed = await publishChanges(changes, publisher);
    if (failed.length)
      logger.warn('lifecycle events not published; the stream will retry', { records: failed.length });
    return { batchItemFailures: failed.map((itemIdentifier) => ({ itemIdentifier })) };
  }),
);
