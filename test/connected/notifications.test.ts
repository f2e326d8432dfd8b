import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotifyStandIn, type OutboxEntry, startNotifyStandIn } from '../../local/notify-standin.js';
import { createEventBridgeClient, createSnsClient } from '../../shared/adapters/clients.js';
import { createEventPublisher, createNotifier } from '../../shared/adapters/notifications.js';
import type { LifecycleEvent } from '../../shared/domain/lifecycle.js';
import type { RotationNotice } from '../../shared/domain/reminders.js';
import { type FakeCall, startFakeAws } from '../support/fake-aws.js';
import { revealAudit } from '../support/fixtures.js';

/**
 * Notices and lifecycle events as SNS and EventBridge receive them: the SNS/EventBridge stand-in for what
 * a subscriber gets, a fake EventBridge peer for the answers it gives per entry.
 */
const credentials = { accessKeyId: 'a', secretAccessKey: 'b' };
let notify: NotifyStandIn;
let bus: Awaited<ReturnType<typeof startFakeAws>>;
const outbox: OutboxEntry[] = [];
beforeAll(async () => {
  notify = await startNotifyStandIn({
    outbox: join(mkdtempSync(join(tmpdir(), 'ssk-notify-')), 'outbox.jsonl'),
    onEntry: (entry) => outbox.push(entry),
  });
  bus = await startFakeAws();
});
afterAll(async () => {
  await notify.close();
  await bus.close();
});

const clients = (endpoint: string) => ({
  sns: createSnsClient({ region: 'us-east-1', endpoint: notify.endpoint, credentials }),
  events: createEventBridgeClient({ region: 'us-east-1', endpoint, credentials, maxAttempts: 1 }),
});
const notice: RotationNotice = {
  accountId: 'acme',
  at: '2027-03-01T09:00:00.000Z',
  subject: 'Shared Secret Keys: 1 shared secret key needs attention (acme)',
  text: 'line one\nline two',
  keys: [],
};
const entriesOf = (call: FakeCall | undefined) => (call?.input.Entries ?? []) as Record<string, unknown>[];

describe('the rotation notice', () => {
  it('is one SNS message with its subject, text and account attribute, and one EventBridge event', async () => {
    outbox.length = 0;
    await createNotifier({ ...clients(notify.endpoint), topicArn: 'arn:aws:sns:us-east-1:0:t' }).notify(
      notice,
    );
    expect(outbox).toEqual([
      expect.objectContaining({
        channel: 'sns',
        subject: notice.subject,
        message: notice.text,
        attributes: { accountId: 'acme' },
      }),
      expect.objectContaining({
        channel: 'eventbridge',
        source: 'shared-secret-keys',
        detailType: 'Shared Secret Key Rotation Due',
        detail: { accountId: 'acme', at: notice.at, keys: [] },
      }),
    ]);
  });

  it('goes on the named bus, and fails when EventBridge does not accept it', async () => {
    bus.answer(() => ({ body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure' }] } }));
    const notifier = createNotifier({ ...clients(bus.endpoint), topicArn: 't', busName: 'keys-bus' });
    await expect(notifier.notify(notice)).rejects.toThrow('EventBridge did not accept the rotation event');
    expect(entriesOf(bus.calls[0])[0]).toMatchObject({ EventBusName: 'keys-bus' });
  });
});

describe('lifecycle events', () => {
  const events = (n: number): LifecycleEvent[] =>
    Array.from({ length: n }, (_, i) => ({
      detailType: `type ${i}`,
      detail: { ...revealAudit, id: `evt_${i}` },
    }));

  it('go ten to a call, in order; the indexes of the entries refused are returned across the batches', async () => {
    bus.answer((call) => ({
      body: {
        Entries: entriesOf(call).map((entry) =>
          entry.DetailType === 'type 3' || entry.DetailType === 'type 12'
            ? { ErrorCode: 'ThrottlingException' }
            : { EventId: 'e' },
        ),
      },
    }));
    const failed = await createEventPublisher(clients(bus.endpoint).events).publish(events(21));
    expect(bus.calls.map((call) => entriesOf(call).length)).toEqual([10, 10, 1]);
    expect(entriesOf(bus.calls[1])[0]).toMatchObject({
      Source: 'shared-secret-keys',
      DetailType: 'type 10',
      Detail: JSON.stringify({ ...revealAudit, id: 'evt_10' }),
    });
    expect(entriesOf(bus.calls[0])[0]).not.toHaveProperty('EventBusName');
    expect(failed).toEqual([3, 12]);
  });

  it('go on the named bus when one is configured; none at all is no call', async () => {
    bus.answer(() => ({ body: { Entries: [{ EventId: 'e' }] } }));
    await createEventPublisher(clients(bus.endpoint).events, 'keys-bus').publish(events(1));
    expect(entriesOf(bus.calls[0])[0]).toMatchObject({ EventBusName: 'keys-bus' });
    bus.answer(() => ({ body: { Entries: [] } }));
    await expect(createEventPublisher(clients(bus.endpoint).events).publish([])).resolves.toEqual([]);
    expect(bus.calls).toHaveLength(0);
  });
});
