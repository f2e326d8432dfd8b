import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { type NotifyStandIn, type OutboxEntry, startNotifyStandIn } from '../../local/notify-standin.js';
import { lambdaContext } from '../../local/server.js';
import { type StreamReader, startStreamReader } from '../../local/stream-reader.js';
import type { AuditEvent } from '../../shared/domain/model.js';
import {
  createIntegration,
  createKey,
  listAudit,
  revealKey,
  revokeKey,
  rotateKey,
  updateIntegration,
  updateRotationSettings,
} from '../../shared/domain/service.js';
import { actor, connectedEngines, stubFunctionEnv } from '../support/engines.js';
import { readJsonLines } from '../support/integration-client.js';

/**
 * The table's stream as the outbox: DynamoDB Local's real stream, read the way Lambda's event source
 * reads it (local/stream-reader.ts), into the real consumer (functions/publish-lifecycle.ts), whose
 * EventBridge client puts the events on the stand-in. Each audited change → exactly one event.
 */
type Engines = Awaited<ReturnType<typeof connectedEngines>>;
let engines: Engines;
let notify: NotifyStandIn;
let reader: StreamReader;
let outboxFile: string;
let failedDeliveries = 0;

const outbox = () => readJsonLines<OutboxEntry>(outboxFile);
type Published = Extract<OutboxEntry, { channel: 'eventbridge' }> & { detail: AuditEvent };
const published = () =>
  outbox().flatMap((entry) => (entry.channel === 'eventbridge' ? [entry as Published] : []));

let consumer: {
  handler: (event: DynamoDBStreamEvent, context: unknown) => Promise<DynamoDBBatchResponse>;
};
beforeAll(async () => {
  engines = await connectedEngines();
  outboxFile = join(mkdtempSync(join(tmpdir(), 'ssk-outbox-')), 'outbox.jsonl');
  notify = await startNotifyStandIn({ outbox: outboxFile });
  stubFunctionEnv(engines);
  vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', notify.endpoint);
  consumer = (await import('../../functions/publish-lifecycle.js')) as typeof consumer;
  reader = await startStreamReader({
    endpoint: inject('dynamodbEndpoint'),
    tableName: engines.tableName,
    failuresFile: join(tmpdir(), `ssk-failures-${randomUUID()}`),
    intervalMs: 50,
    deliver: async (event) => {
      const response = await consumer.handler(event, lambdaContext('publish-lifecycle', randomUUID()));
      if (response.batchItemFailures.length) failedDeliveries++;
      return response;
    },
  });
});

afterAll(async () => {
  await reader.stop();
  await notify.close();
  vi.unstubAllEnvs();
  await engines.close();
});

describe('lifecycle events from the stream', () => {
  it('every audited change is published exactly once, with its audit event as the detail', async () => {
    const a = actor('outbox', 'alice');
    const deps = engines.deps;
    const { integration, key } = await createIntegration(deps, a, { name: 'Outbox' });
    await revealKey(deps, a, integration.id, key.id);
    const second = await createKey(deps, a, integration.id, { name: 'Second' });
    await rotateKey(deps, a, integration.id, second.key.id, {});
    await revokeKey(deps, a, integration.id, key.id);
    await updateIntegration(deps, a, integration.id, { name: 'Outbox 2' });
    await updateRotationSettings(deps, a, { reminderIntervalDays: 3 });
    await reader.drain();

    const audit = (await listAudit(deps, a, integration.id, { limit: 100 })).items;
    expect(audit).toHaveLength(8);
    const events = published();
    const ids = events.map((event) => event.detail.id);
    expect(new Set(ids).size).toBe(ids.length);
    const settingsEvent = events.find((event) => event.detail.action === 'settings.rotation_updated');
    expect(settingsEvent?.detailType).toBe('Shared Secret Key Rotation Settings Updated');
    expect(ids.filter((id) => id !== settingsEvent?.detail.id).sort()).toEqual(
      audit.map((event) => event.id).sort(),
    );
    const revealed = events.find((event) => event.detail.action === 'key.revealed');
    expect(revealed).toMatchObject({
      source: 'shared-secret-keys',
      detailType: 'Shared Secret Key Revealed',
      detail: { accountId: 'outbox', integrationId: integration.id, keyId: key.id, actor: 'alice' },
    });
    // Lambda's event carries the images with their ciphertexts; none of it is published.
    expect(JSON.stringify(outbox())).not.toMatch(/v1\.|ssk_[0-9A-Za-z]{20}|displayCiphertext|signing/);
  });

  it('a change that did not commit publishes nothing', async () => {
    const a = actor('outbox-failed', 'alice');
    const { integration, key } = await createIntegration(engines.deps, a, { name: 'Failed' });
    await revokeKey(engines.deps, a, integration.id, key.id);
    await reader.drain();
    const before = published().length;
    await expect(rotateKey(engines.deps, a, integration.id, key.id, {})).rejects.toMatchObject({
      code: 'key_not_active',
    });
    await expect(revealKey(engines.deps, a, integration.id, key.id)).rejects.toMatchObject({
      statusCode: 410,
    });
    await reader.drain();
    expect(published().slice(before)).toEqual([]);
  });

  it('when EventBridge fails, the consumer is retried from the failed change and still publishes each event once', async () => {
    const a = actor('outbox-retry', 'alice');
    notify.setFault('unavailable', ['PutEvents'], 12);
    const failedBefore = failedDeliveries;
    const before = published().length;
    const { integration } = await createIntegration(engines.deps, a, { name: 'Retry' });
    await createKey(engines.deps, a, integration.id, { name: 'One' });
    await createKey(engines.deps, a, integration.id, { name: 'Two' });
    await reader.drain();
    notify.setFault('none');
    await reader.drain();
    const events = published().slice(before);
    const audit = (await listAudit(engines.deps, a, integration.id, { limit: 100 })).items;
    expect(events.map((event) => event.detail.id).sort()).toEqual(audit.map((event) => event.id).sort());
    // The consumer did answer with failures, and was retried from them.
    expect(failedDeliveries - failedBefore).toBeGreaterThan(0);
  }, 60_000);

  it('a failed batch names the changes from the first that failed on, never a record that added no event', async () => {
    const change = (sequence: string, eventName: 'INSERT' | 'REMOVE', id: string) => ({
      eventName,
      dynamodb: {
        SequenceNumber: sequence,
        NewImage: {
          sk: { S: 'INTEGRATION#int_01M8STXNSD0WK015E9HDB2KRD3' },
          accountId: { S: 'acme' },
          audit: { M: { [id]: { M: { action: { S: 'integration.updated' }, actor: { S: 'pat' } } } } },
        },
      },
    });
    const batch = {
      Records: [
        change('1', 'INSERT', 'evt_a'),
        change('2', 'REMOVE', 'evt_b'),
        change('3', 'INSERT', 'evt_c'),
      ],
    } as unknown as DynamoDBStreamEvent;
    notify.setFault('unavailable', ['PutEvents'], 100);
    try {
      const failed = await consumer.handler(batch, lambdaContext('publish-lifecycle', randomUUID()));
      expect(failed.batchItemFailures).toEqual([{ itemIdentifier: '1' }, { itemIdentifier: '3' }]);
    } finally {
      notify.setFault('none');
    }
    const published = await consumer.handler(batch, lambdaContext('publish-lifecycle', randomUUID()));
    expect(published.batchItemFailures).toEqual([]);
  });
});
