import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type EventPublisher, publishChanges } from '../../shared/domain/lifecycle.js';
import type { AuditEvent } from '../../shared/domain/model.js';
import { composeNotice, type DueKey } from '../../shared/domain/reminders.js';
import { addDays, nextCheck, type ReminderState, reminderReason } from '../../shared/domain/rotation.js';

const NOW = new Date('2027-03-01T09:00:00.000Z');
const days = (n: number) => addDays(NOW, n);

describe('which keys the reminder names', () => {
  it.each([
    ['active, due yesterday', { status: 'active', rotationDueAt: days(-1) }, 'rotation_due'],
    ['active, due right now', { status: 'active', rotationDueAt: days(0) }, 'rotation_due'],
    ['active, due tomorrow', { status: 'active', rotationDueAt: days(1) }, undefined],
    ['expiring in 6 days', { status: 'expiring', expiresAt: days(6) }, 'expiring'],
    ['expiring in 8 days', { status: 'expiring', expiresAt: days(8) }, undefined],
    [
      'created to expire in 7 days',
      { status: 'active', expiresAt: days(7), rotationDueAt: days(80) },
      'expiring',
    ],
    ['expired an hour ago', { status: 'expiring', expiresAt: addDays(NOW, -1 / 24) }, 'expired'],
    [
      'expired and already reported',
      { status: 'expiring', expiresAt: days(-1), expiryNotifiedAt: days(-1) },
      undefined,
    ],
    ['reminded 6 days ago', { status: 'active', rotationDueAt: days(-30), remindedAt: days(-6) }, undefined],
    [
      'reminded 7 days ago',
      { status: 'active', rotationDueAt: days(-30), remindedAt: days(-7) },
      'rotation_due',
    ],
    [
      'reminded yesterday, expired since',
      { status: 'expiring', expiresAt: days(-0.5), remindedAt: days(-1) },
      'expired',
    ],
    ['revoked', { status: 'revoked', rotationDueAt: days(-100) }, undefined],
    [
      'expiring, past its old rotation date',
      { status: 'expiring', expiresAt: days(20), rotationDueAt: days(-5) },
      undefined,
    ],
  ] as [string, ReminderState, string | undefined][])('%s', (_, key, reason) => {
    expect(reminderReason(key, NOW, 7)).toBe(reason);
  });

  const state = fc.record({
    status: fc.constantFrom('active' as const, 'expiring' as const, 'revoked' as const),
    rotationDueAt: fc.option(fc.integer({ min: -800, max: 800 }).map(days), { nil: undefined }),
    expiresAt: fc.option(fc.integer({ min: -800, max: 800 }).map(days), { nil: undefined }),
    remindedAt: fc.option(fc.integer({ min: -800, max: 0 }).map(days), { nil: undefined }),
  });

  it('the next check is never in the past, and nothing is owed before it', () => {
    fc.assert(
      fc.property(
        state,
        fc.integer({ min: 1, max: 90 }),
        fc.integer({ min: 0, max: 2000 }),
        (key, interval, hours) => {
          const next = nextCheck(key, NOW, interval);
          if (next === undefined) return;
          expect(next >= NOW.toISOString()).toBe(true);
          // Between now and the next check, a key that owes nothing now owes nothing.
          const later = new Date(Math.min(Date.parse(next) - 1, NOW.getTime() + hours * 3_600_000));
          if (reminderReason(key, NOW, interval) === undefined && later > NOW) {
            expect(reminderReason(key, later, interval)).toBeUndefined();
          }
        },
      ),
    );
  });

  it('after a reminder, the next one is at least the interval away; an expiry is told once, then the key leaves the index', () => {
    fc.assert(
      fc.property(state, fc.integer({ min: 1, max: 90 }), (key, interval) => {
        const reason = reminderReason(key, NOW, interval);
        if (reason === undefined) return;
        const at = NOW.toISOString();
        const after = reason === 'expired' ? { ...key, expiryNotifiedAt: at } : { ...key, remindedAt: at };
        const next = nextCheck(after, NOW, interval);
        if (reason === 'expired') expect(next).toBeUndefined();
        else {
          expect(next).toBeDefined();
          const again = reminderReason(after, new Date(Date.parse(days(interval)) - 1), interval);
          expect(again === undefined || again === 'expired').toBe(true);
        }
      }),
    );
  });
});

describe('when the job next looks at a key', () => {
  it.each([
    ['revoked', { status: 'revoked', rotationDueAt: days(10) }, undefined],
    [
      'expired and reported',
      { status: 'expiring', expiresAt: days(-1), expiryNotifiedAt: days(-1) },
      undefined,
    ],
    ['active, with nothing dated', { status: 'active' }, undefined],
    ['active, due in 10 days', { status: 'active', rotationDueAt: days(10) }, days(10)],
    ['active, overdue: now, not in the past', { status: 'active', rotationDueAt: days(-5) }, days(0)],
    ['expiring in 30 days: its notice, 7 days before', { status: 'expiring', expiresAt: days(30) }, days(23)],
    ['expiring in 3 days: the notice is due now', { status: 'expiring', expiresAt: days(3) }, days(0)],
    [
      'active, due before its expiry notice',
      { status: 'active', rotationDueAt: days(5), expiresAt: days(40) },
      days(5),
    ],
    [
      'active, its expiry notice before its due date',
      { status: 'active', rotationDueAt: days(50), expiresAt: days(40) },
      days(33),
    ],
    [
      'expiring: its old rotation due date no longer counts',
      { status: 'expiring', rotationDueAt: days(1), expiresAt: days(30) },
      days(23),
    ],
    [
      'reminded yesterday, overdue: after the 3-day interval',
      { status: 'active', rotationDueAt: days(-5), remindedAt: days(-1) },
      days(2),
    ],
    [
      'reminded yesterday, notice due: after the interval, but the expiry itself is not held back',
      { status: 'expiring', expiresAt: days(1), remindedAt: days(-1) },
      days(1),
    ],
    [
      'reminded yesterday, due later than the interval: the due date',
      { status: 'active', rotationDueAt: days(10), remindedAt: days(-1) },
      days(10),
    ],
  ] as [string, ReminderState, string | undefined][])('%s', (_, key, expected) => {
    expect(nextCheck(key, NOW, 3)).toBe(expected);
  });
});

describe('the notice', () => {
  it('names each key by integration and key name with its hint and route, and carries nothing else of it', () => {
    const key: DueKey = {
      accountId: 'acme',
      integrationId: 'int_1',
      id: 'key_1',
      name: 'Primary',
      hint: 'ssk_…abcd',
      createdAt: days(-91),
      status: 'active',
      rotationDueAt: days(-1),
      dueAt: days(-1),
    };
    const notice = composeNotice(
      'acme',
      NOW,
      [{ key, reason: 'rotation_due' }],
      new Map([['acme/int_1', 'Payments']]),
    );
    expect(notice.subject).toBe('Shared Secret Keys: 1 shared secret key needs attention (acme)');
    expect(notice.text).toContain(
      '- Payments / Primary (ssk_…abcd) is due for rotation: 91 days old, rotation was due 2027-02-28.',
    );
    expect(notice.text).toContain('Rotate: POST /integrations/int_1/keys/key_1/rotate');
    expect(notice.keys).toEqual([
      expect.objectContaining({
        integrationName: 'Payments',
        keyName: 'Primary',
        hint: 'ssk_…abcd',
        ageDays: 91,
      }),
    ]);
    expect(Object.keys(notice.keys[0] ?? {}).sort()).toEqual(
      [
        'ageDays',
        'createdAt',
        'expiresAt',
        'hint',
        'integrationId',
        'integrationName',
        'keyId',
        'keyName',
        'reason',
        'rotate',
        'rotationDueAt',
      ].sort(),
    );
  });

  it('an SNS subject stays within 100 printable ASCII characters', () => {
    const notice = composeNotice('ácmé'.repeat(40), NOW, [], new Map());
    expect(notice.subject.length).toBeLessThanOrEqual(100);
    expect(notice.subject).toMatch(/^[\x20-\x7E]+$/);
  });
});

describe('publishing lifecycle events from the stream', () => {
  const event = (id: string): AuditEvent => ({
    id,
    accountId: 'a',
    integrationId: 'i',
    action: 'key.revealed',
    actor: 'u',
    at: NOW.toISOString(),
    requestId: 'r',
    sourceIp: '127.0.0.1',
  });

  it('stops at the first change it cannot publish, so a retry starts there and nothing is sent twice', async () => {
    const sent: string[] = [];
    let failing = true;
    const publisher: EventPublisher = {
      async publish(events) {
        if (failing && events.some((e) => e.detail.id === 'e2')) throw new Error('down');
        sent.push(...events.map((e) => e.detail.id));
        return [];
      },
    };
    const changes = ['e1', 'e2', 'e3'].map((id) => ({ id: `seq-${id}`, events: [event(id)] }));
    expect(await publishChanges(changes, publisher)).toEqual(['seq-e2', 'seq-e3']);
    failing = false;
    expect(await publishChanges(changes.slice(1), publisher)).toEqual([]);
    expect(sent).toEqual(['e1', 'e2', 'e3']);
  });

  it('re-sends only the entries EventBridge did not accept', async () => {
    const sent: string[][] = [];
    let first = true;
    const publisher: EventPublisher = {
      async publish(events) {
        sent.push(events.map((e) => e.detail.id));
        if (first) {
          first = false;
          return [1];
        }
        return [];
      },
    };
    expect(await publishChanges([{ id: 's', events: [event('a'), event('b')] }], publisher)).toEqual([]);
    expect(sent).toEqual([['a', 'b'], ['b']]);
  });

  it('tries a change that is never accepted exactly `attempts` times, then gives up on it and what follows', async () => {
    let calls = 0;
    const publisher: EventPublisher = {
      async publish() {
        calls++;
        throw new Error('EventBridge unavailable');
      },
    };
    const changes = [
      { id: 'x', events: [event('a')] },
      { id: 'y', events: [event('b')] },
    ];
    expect(await publishChanges(changes, publisher, 2)).toEqual(['x', 'y']);
    expect(calls).toBe(2);
  });

  it('an action without a detail-type of its own is published as "Shared Secret Key <action>"', async () => {
    const published: string[] = [];
    const publisher: EventPublisher = {
      async publish(events) {
        published.push(...events.map((e) => e.detailType));
        return [];
      },
    };
    const unknown = { ...event('u'), action: 'key.archived' } as unknown as AuditEvent;
    await publishChanges([{ id: 'z', events: [unknown] }], publisher);
    expect(published).toEqual(['Shared Secret Key key.archived']);
  });

  it('the detail-type names the action', async () => {
    const types: string[] = [];
    await publishChanges([{ id: 's', events: [event('a')] }], {
      publish: async (events) => {
        types.push(...events.map((e) => e.detailType));
        return [];
      },
    });
    expect(types).toEqual(['Shared Secret Key Revealed']);
  });
});
