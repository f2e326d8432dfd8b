import { BatchWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dueIndex } from '../../shared/adapters/dynamodb/codec.js';
import { createReminderStore } from '../../shared/adapters/dynamodb/reminders.js';
import { TableKeys } from '../../shared/adapters/dynamodb/table.js';
import { auditEvent } from '../../shared/domain/audit.js';
import type { Clock } from '../../shared/domain/ports.js';
import {
  type Notifier,
  type ReminderStore,
  type RotationNotice,
  runReminders,
} from '../../shared/domain/reminders.js';
import { addDays } from '../../shared/domain/rotation.js';
import {
  createIntegration,
  createKey,
  listAudit,
  revokeKey,
  rotateKey,
  type ServiceDeps,
  updateRotationSettings,
} from '../../shared/domain/service.js';
import { callsDuring, observeCalls } from '../support/aws-calls.js';
import { actor, connectedEngines } from '../support/engines.js';

/** The reminder job against DynamoDB Local: its conditional writes, its index, its cost. */
type Engines = Awaited<ReturnType<typeof connectedEngines>>;
let engines: Engines;

const START = new Date('2027-01-01T09:00:00.000Z');
const DAY = 86_400_000;
const clockAt = (at: Date | string): Clock => ({ now: () => new Date(at) });

function recorder(fail = false): Notifier & { sent: RotationNotice[] } {
  const sent: RotationNotice[] = [];
  return {
    sent,
    async notify(notice) {
      if (fail) throw new Error('SNS is down');
      sent.push(notice);
    },
  };
}

beforeAll(async () => {
  engines = await connectedEngines();
});
afterAll(async () => engines.close());

/** A fresh table's worth of service and job, with a clock the test sets. */
async function world() {
  const fresh = await connectedEngines();
  const store = createReminderStore({ client: fresh.client, tableName: fresh.tableName });
  const service = (at: Date | string): ServiceDeps => ({ ...fresh.deps, clock: clockAt(at) });
  const run = (at: Date | string, notifier = recorder()) =>
    runReminders({ store, notifier, clock: clockAt(at) }).then((result) => ({
      ...result,
      sent: notifier.sent,
    }));
  return { fresh, store, service, run };
}

const named = (notices: RotationNotice[]) =>
  notices.flatMap((notice) => notice.keys.map((key) => key.keyId)).sort();

describe('reminders, decided by conditional writes', () => {
  it('two runs at the same time remind each key once', async () => {
    const { fresh, service, run, store } = await world();
    const a = actor('race', 'alice');
    const created = await createIntegration(service(START), a, { name: 'Race' });
    const at = new Date(START.getTime() + 91 * DAY);
    // The job ran yesterday (a first run reads two years of days; six at once would only load the engine).
    await store.setFirstDay(addDays(at, -1).slice(0, 10));
    const runs = await Promise.all(Array.from({ length: 6 }, () => run(at)));
    expect(runs.flatMap((r) => named(r.sent))).toEqual([created.key.id]);
    const audit = await listAudit(fresh.deps, a, created.integration.id, { limit: 100 });
    expect(audit.items.filter((event) => event.action === 'key.rotation_reminded')).toHaveLength(1);
    await fresh.close();
  });

  it('a crash between the write and the notice loses that notice, never sends it twice, and the next interval reminds again', async () => {
    const { fresh, service, run } = await world();
    const a = actor('crash', 'alice');
    const created = await createIntegration(service(START), a, { name: 'Crash' });
    const at = START.getTime() + 91 * DAY;
    const crashed = await run(new Date(at), recorder(true));
    expect(crashed).toMatchObject({ failed: 1, notices: [] });
    // The decision and its audit event are written: the retry (or tomorrow's run) does not send it again.
    const retried = await run(new Date(at + 60_000));
    expect(retried.sent).toEqual([]);
    expect((await run(new Date(at + 6 * DAY))).sent).toEqual([]);
    expect(named((await run(new Date(at + 7 * DAY))).sent)).toEqual([created.key.id]);
    const audit = await listAudit(fresh.deps, a, created.integration.id, { limit: 100 });
    expect(audit.items.filter((event) => event.action === 'key.rotation_reminded')).toHaveLength(2);
    await fresh.close();
  });

  it('each reminder is one UpdateItem on the key item, its audit event inside it, on condition of the index entry it read', async () => {
    const { fresh, service, store } = await world();
    const a = actor('shape', 'alice');
    await createIntegration(service(START), a, { name: 'Shape' });
    const { calls } = await callsDuring({ dynamodb: fresh.client }, () =>
      runReminders({ store, notifier: recorder(), clock: clockAt(new Date(START.getTime() + 91 * DAY)) }),
    );
    const writes = calls.filter((call) => !['Query', 'GetItem', 'BatchGetItem'].includes(call.operation));
    const keyWrites = writes.filter((call) =>
      String((call.input.Key as { sk?: string })?.sk).startsWith('KEY#'),
    );
    expect(keyWrites).toHaveLength(1);
    const [write] = keyWrites;
    expect(write?.operation).toBe('UpdateItem');
    expect(write?.input.UpdateExpression).toContain('#audit.#eventId = :event');
    expect(write?.input.ConditionExpression).toContain('dueAt = :seen');
    expect(write?.input.ConditionExpression).toContain('remindedAt <= :notRemindedSince');
    expect(
      ((write?.input.ExpressionAttributeValues ?? {}) as Record<string, { action: string }>)[':event']
        ?.action,
    ).toBe('key.rotation_reminded');
    // The rest: only the job's progress item.
    expect(
      writes.filter((call) => !keyWrites.includes(call)).map((call) => (call.input.Key as { pk: string }).pk),
    ).toEqual([TableKeys.reminderJob]);
    await fresh.close();
  });

  it('revoked and rotated keys follow their new state: a revoke leaves the index, a rotation names the old key as expiring', async () => {
    const { service, run, fresh } = await world();
    const a = actor('states', 'alice');
    const one = await createIntegration(service(START), a, { name: 'One' });
    const two = await createIntegration(service(START), a, { name: 'Two' });
    await revokeKey(service(START), a, one.integration.id, one.key.id);
    const rotated = await rotateKey(
      service(new Date(START.getTime() + 10 * DAY)),
      a,
      two.integration.id,
      two.key.id,
      {
        overlapSeconds: 86_400,
      },
    );
    const notices = (await run(new Date(START.getTime() + 10 * DAY + 3_600_000))).sent;
    expect(notices.flatMap((n) => n.keys.map((k) => [k.keyId, k.reason]))).toEqual([
      [two.key.id, 'expiring'],
    ]);
    const later = (await run(new Date(START.getTime() + 12 * DAY))).sent;
    expect(later.flatMap((n) => n.keys.map((k) => [k.keyId, k.reason]))).toEqual([[two.key.id, 'expired']]);
    // The successor is due a full period after the rotation; the revoked key never again.
    const due = (await run(new Date(START.getTime() + 101 * DAY))).sent;
    expect(named(due)).toEqual([rotated.key.id]);
    await fresh.close();
  });

  it('a shorter rotation period makes existing keys due at once; the index follows the settings', async () => {
    const { service, run, fresh } = await world();
    const a = actor('period', 'alice');
    const created = await createIntegration(service(START), a, { name: 'Period' });
    const key = await createKey(service(START), a, created.integration.id, { name: 'Second' });
    expect((await run(new Date(START.getTime() + 40 * DAY))).sent).toEqual([]);
    await updateRotationSettings(service(new Date(START.getTime() + 40 * DAY)), a, {
      rotationPeriodDays: 30,
    });
    const due = await run(new Date(START.getTime() + 40 * DAY + 60_000));
    expect(named(due.sent)).toEqual([created.key.id, key.key.id].sort());
    await fresh.close();
  });
});

describe('failures and progress', () => {
  it('writes that fail leave the progress at the earliest failed day: the next run reads those keys again', async () => {
    const { fresh, service, store, run } = await world();
    const a = actor('failing', 'alice');
    const early = await createIntegration(service(START), a, { name: 'Early' });
    const late = await createIntegration(service(new Date(START.getTime() + 5 * DAY)), a, { name: 'Late' });
    const at = new Date(START.getTime() + 100 * DAY);
    const dayOf = new Map<string, string>();
    // DynamoDB refuses both reminders' writes, the later day's first.
    const failing: ReminderStore = {
      ...store,
      async recordReminder(input) {
        dayOf.set(input.key.id, input.key.dueAt.slice(0, 10));
        if (input.key.id === early.key.id) await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('DynamoDB is down');
      },
    };
    const failed = await runReminders({ store: failing, notifier: recorder(), clock: clockAt(at) });
    expect(failed).toMatchObject({ read: 2, failed: 2, notices: [] });
    const [earlyDay = '', lateDay = ''] = [dayOf.get(early.key.id), dayOf.get(late.key.id)];
    expect(earlyDay < lateDay).toBe(true);
    expect(await store.firstDay()).toBe(earlyDay);
    const next = await run(new Date(at.getTime() + 60_000));
    expect(named(next.sent)).toEqual([early.key.id, late.key.id].sort());
    expect(await store.firstDay()).toBe(at.toISOString().slice(0, 10));
    await fresh.close();
  });

  it('a progress day after today (a clock that went back) is read as a first run', async () => {
    const { fresh, service, store, run } = await world();
    const created = await createIntegration(service(START), actor('back', 'alice'), { name: 'Back' });
    await store.setFirstDay('2099-01-01');
    expect(named((await run(new Date(START.getTime() + 91 * DAY))).sent)).toEqual([created.key.id]);
    await fresh.close();
  });

  it('an expiry is recorded once, even where the index entry did not move', async () => {
    const { fresh, service, store } = await world();
    const a = actor('expiry', 'alice');
    const created = await createIntegration(service(START), a, { name: 'Expiry' });
    const at = new Date(START.getTime() + 91 * DAY);
    const [key] = await store.dueKeys(String(created.key.rotationDueAt).slice(0, 10), at.toISOString());
    if (!key) throw new Error('the key is not in the due index');
    const record = () =>
      store.recordReminder({
        key,
        reason: 'expired',
        at: at.toISOString(),
        // Left where it is: only the expiry mark tells the second report from the first.
        next: key.dueAt,
        notRemindedSince: addDays(at, -7),
        audit: auditEvent({ ...a, userId: 'job' }, at, 'key.rotation_reminded', key.integrationId, key.id, {
          reason: 'expired',
          name: key.name,
        }),
      });
    expect(await record()).toBe(true);
    expect(await record()).toBe(false);
    await fresh.close();
  });
});

describe('cost grows with what is due', () => {
  it('20,000 keys in 500 accounts, 50 of them due: one run reads at most 200 items and names exactly the 50', async () => {
    const { fresh, store } = await world();
    const now = new Date('2027-06-01T09:00:00.000Z');
    const items: Record<string, unknown>[] = [];
    const due: string[] = [];
    for (let account = 0; account < 500; account++) {
      const accountId = `acct-${account}`;
      const integrationId = `int_${String(account).padStart(26, '0')}`;
      items.push({
        pk: TableKeys.account(accountId),
        sk: TableKeys.integration(integrationId),
        type: 'integration',
        accountId,
        id: integrationId,
        name: `Integration ${account}`,
      });
      for (let k = 0; k < 40; k++) {
        const id = `key_${String(account * 100 + k).padStart(26, '0')}`;
        // One key in ten accounts is due today; every other key is due some day in the next two years.
        const isDue = account % 10 === 0 && k === 0;
        const rotationDueAt = isDue ? addDays(now, -1) : addDays(now, 1 + ((account * 40 + k) % 700));
        if (isDue) due.push(id);
        items.push({
          pk: TableKeys.account(accountId),
          sk: TableKeys.key(integrationId, id),
          type: 'key',
          id,
          accountId,
          integrationId,
          name: `Key ${k}`,
          hint: 'ssk_…abcd',
          status: 'active',
          createdAt: addDays(now, -100),
          rotationDueAt,
          dueAt: rotationDueAt,
          ...dueIndex(rotationDueAt),
          audit: {},
        });
      }
    }
    const batches: Record<string, unknown>[][] = [];
    for (let i = 0; i < items.length; i += 25) batches.push(items.slice(i, i + 25));
    for (let i = 0; i < batches.length; i += 32) {
      await Promise.all(
        batches.slice(i, i + 32).map(async (batch) => {
          let pending = batch.map((Item) => ({ PutRequest: { Item } }));
          while (pending.length) {
            const result = await fresh.client.send(
              new BatchWriteCommand({ RequestItems: { [fresh.tableName]: pending } }),
            );
            pending = (result.UnprocessedItems?.[fresh.tableName] ?? []) as typeof pending;
          }
        }),
      );
    }
    // The job has run before: yesterday.
    await store.setFirstDay(addDays(now, -1).slice(0, 10));

    // Every item any read of the run returned: index entries, settings, integration names, progress.
    let returned = 0;
    const stop = observeCalls(fresh.client, 'dynamodb', async (_call, next) => {
      const output = (await next()) as {
        Items?: unknown[];
        Item?: unknown;
        Responses?: Record<string, unknown[]>;
      };
      returned +=
        (output.Items?.length ?? 0) +
        (output.Item ? 1 : 0) +
        Object.values(output.Responses ?? {}).reduce((sum, list) => sum + list.length, 0);
      return output;
    });
    const notifier = recorder();
    const result = await runReminders({ store, notifier, clock: clockAt(now) }).finally(stop);
    expect(returned).toBeLessThanOrEqual(200);
    expect(result.read).toBe(50);
    expect(result.notices).toHaveLength(50);
    const sent = notifier.sent;
    expect(named(sent)).toEqual(due.sort());
    console.log(
      `scale: ${items.length} items, ${result.read} due keys read, ${returned} items returned by all reads`,
    );
    await fresh.close();
  }, 240_000);
});
