import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  type Anchor,
  canonical,
  eventHash,
  GENESIS,
  link,
  type StoredChain,
  trailHead,
  verifyChain,
  verifyTrail,
} from '../../shared/domain/audit-chain.js';
import { newEventId } from '../../shared/domain/ids.js';
import type { AuditEvent } from '../../shared/domain/model.js';

/**
 * The audit chain's verification, item by item, against every way a table writer could change a
 * trail: the report must name the first break, in chain order, with a message that says what happened.
 * (The same against DynamoDB Local, through the store: test/connected/audit-chain.test.ts.)
 */
const base = Date.parse('2026-12-01T00:00:00.000Z');
const event = (minute: number, action: AuditEvent['action'] = 'key.revealed'): AuditEvent => ({
  id: newEventId(new Date(base + minute * 60_000)),
  accountId: 'acme',
  integrationId: 'int_1',
  action,
  actor: 'alice',
  at: new Date(base + minute * 60_000).toISOString(),
  requestId: 'r',
  sourceIp: 'ip',
});

/** Events linked one after the other from the genesis; the head is the last one's hash. */
function chained(events: AuditEvent[]): { events: AuditEvent[]; head: string | undefined } {
  let head: string | undefined;
  const linked = events.map((e) => {
    const links = link(e, head);
    head = links.hash;
    return { ...e, ...links };
  });
  return { events: linked, head };
}
const chainOf = (item: string, minutes: number[]): StoredChain => ({
  item,
  ...chained(minutes.map((minute) => event(minute))),
});
/** The events in another order than written: verification must not rely on the stored order. */
const shuffled = <T>(items: T[]): T[] => [...items.slice(1), ...items.slice(0, 1)].reverse();
const unlinked = ({ prevHash: _p, hash: _h, ...rest }: AuditEvent): AuditEvent => rest;

describe('canonical serialisation', () => {
  it('sorts keys at every level, drops undefined members, keeps arrays in order', () => {
    expect(canonical({ b: [2, 'x', { d: 1, c: null }], a: { z: undefined, y: true } })).toBe(
      '{"a":{"y":true},"b":[2,"x",{"c":null,"d":1}]}',
    );
    expect(canonical('text')).toBe('"text"');
    expect(canonical(null)).toBe('null');
  });

  it("an event's hash is SHA-256 over its canonical form with its prevHash, whatever links it carried", () => {
    const e = event(0);
    const expected = createHash('sha256')
      .update(canonical({ ...e, prevHash: GENESIS }))
      .digest('hex');
    expect(eventHash(e, GENESIS)).toBe(expected);
    expect(eventHash({ ...e, prevHash: 'x', hash: 'y' }, GENESIS)).toBe(expected);
    expect(link(e, undefined)).toEqual({ prevHash: GENESIS, hash: expected });
  });
});

describe('one item’s chain', () => {
  it('an intact chain, stored in any order, verifies to its head', () => {
    const chain = chainOf('integration', [0, 1, 2, 3]);
    const report = verifyChain({ ...chain, events: shuffled(chain.events) });
    expect(report).toEqual({ item: 'integration', events: 4, unchained: 0, head: chain.head });
  });

  it('events written before chains existed are counted unchained, not a break; all of a chainless item too', () => {
    const legacy = [event(0), event(1)];
    const chain = chained([event(2), event(3)]);
    const report = verifyChain({
      item: 'key k',
      events: shuffled([...legacy, ...chain.events]),
      head: chain.head,
    });
    expect(report).toEqual({ item: 'key k', events: 4, unchained: 2, head: chain.head });
    expect(verifyChain({ item: 'key k', events: legacy, head: undefined })).toEqual({
      item: 'key k',
      events: 2,
      unchained: 2,
      head: undefined,
    });
  });

  it('an event stripped of its links after the chain began is "unlinked": the earliest such, by id', () => {
    const chain = chained([event(0), event(1), event(2), event(3)]);
    const [e0, e1, e2, e3] = chain.events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    const legacy = event(-1);
    // Only the last two: the chain up to e1 still holds, so the stripped ones are the break.
    const events = [legacy, e0, e1, unlinked(e3), unlinked(e2)];
    const report = verifyChain({ item: 'key k', events, head: e1.hash });
    expect(report.unchained).toBe(1);
    expect(report.break).toEqual({
      item: 'key k',
      eventId: e2.id,
      reason: 'unlinked',
      message: `Event ${e2.id} has no hash although the chain began before it: it was added or stripped outside the service.`,
    });
  });

  it('an event with one of its two links stripped is unlinked too', () => {
    const chain = chained([event(0), event(1), event(2)]);
    const [e0, e1, e2] = chain.events as [AuditEvent, AuditEvent, AuditEvent];
    for (const stripped of [
      { ...e2, hash: undefined },
      { ...e2, prevHash: undefined },
    ]) {
      const report = verifyChain({ item: 'integration', events: [e0, e1, stripped], head: e1.hash });
      expect(report.break).toMatchObject({ eventId: e2.id, reason: 'unlinked' });
    }
  });

  it('an edited event is "edited", named and explained', () => {
    const chain = chained([event(0), event(1), event(2)]);
    const [e0, e1, e2] = chain.events as [AuditEvent, AuditEvent, AuditEvent];
    const report = verifyChain({
      item: 'integration',
      events: [e0, { ...e1, actor: 'mallory' }, e2],
      head: chain.head,
    });
    expect(report.break).toEqual({
      item: 'integration',
      eventId: e1.id,
      reason: 'edited',
      message: `Event ${e1.id} was changed after it was written: its content no longer matches its hash.`,
    });
  });

  it('a deleted event: the earliest event that no longer follows is "missing-before", after the last that does', () => {
    const chain = chained([event(0), event(1), event(2), event(3)]);
    const [e0, e1, e2, e3] = chain.events as [AuditEvent, AuditEvent, AuditEvent, AuditEvent];
    const report = verifyChain({ item: 'integration', events: [e3, e2, e0], head: chain.head });
    expect(report.break).toEqual({
      item: 'integration',
      eventId: e2.id,
      reason: 'missing-before',
      message: `Event ${e2.id} does not follow event ${e0.id}: an event before it was deleted or rewritten.`,
    });
    const first = verifyChain({ item: 'integration', events: [e1, e2, e3], head: chain.head });
    expect(first.break).toMatchObject({
      eventId: e1.id,
      message: `Event ${e1.id} does not follow the start of the chain: an event before it was deleted or rewritten.`,
    });
  });

  it('an event inserted beside another (both after the same event) is named as inserted', () => {
    const chain = chained([event(0), event(1)]);
    const [e0, e1] = chain.events as [AuditEvent, AuditEvent];
    const forged = { ...event(2), ...link(event(2), e0.hash) };
    const report = verifyChain({ item: 'integration', events: [e0, e1, forged], head: chain.head });
    expect(report.break).toEqual({
      item: 'integration',
      eventId: forged.id,
      reason: 'missing-before',
      message: `Two events follow the same event ${e0.id}: one of them was inserted.`,
    });
    const atStart = { ...event(3), ...link(event(3), undefined) };
    expect(verifyChain({ item: 'integration', events: [e0, atStart], head: e0.hash }).break).toMatchObject({
      eventId: atStart.id,
      message: 'Two events follow the same event: one of them was inserted.',
    });
  });

  it('the last events deleted: "head-mismatch" at the last event left, or at none', () => {
    const chain = chained([event(0), event(1), event(2)]);
    const [e0, e1] = chain.events as [AuditEvent, AuditEvent];
    expect(verifyChain({ item: 'integration', events: [e0, e1], head: chain.head }).break).toEqual({
      item: 'integration',
      eventId: e1.id,
      reason: 'head-mismatch',
      message: `The chain ends at event ${e1.id}, but the item's head names a later event: events after it were deleted.`,
    });
    expect(verifyChain({ item: 'integration', events: [], head: chain.head }).break).toEqual({
      item: 'integration',
      reason: 'head-mismatch',
      message: "The item's head names events that are not there: its events were deleted.",
    });
  });
});

describe('a whole trail', () => {
  const trail = () => [chainOf('key b', [4, 5]), chainOf('integration', [0, 1]), chainOf('key a', [2, 3])];

  it('reports its chains in item order, their totals, and the head of their heads', () => {
    const legacy: StoredChain = { item: 'key c', events: [event(-2), event(-1)], head: undefined };
    const chains = [...trail(), legacy];
    const report = verifyTrail(chains);
    expect(report.ok).toBe(true);
    expect(report.chains.map((chain) => chain.item)).toEqual(['integration', 'key a', 'key b', 'key c']);
    expect(report.events).toBe(8);
    expect(report.unchained).toBe(2);
    expect(report.head).toBe(trailHead(chains));
  });

  it('the head of heads ignores items without a chain and the order the chains come in', () => {
    const chains = trail();
    const empty = { item: 'key z', head: undefined };
    expect(trailHead([...chains, empty])).toBe(trailHead(chains));
    expect(trailHead(shuffled(chains))).toBe(trailHead(chains));
    const heads = [...chains]
      .sort((a, b) => (a.item < b.item ? -1 : 1))
      .map((chain) => [chain.item, chain.head]);
    expect(trailHead(chains)).toBe(createHash('sha256').update(canonical(heads)).digest('hex'));
  });

  it('the first break is the earliest in item order', () => {
    const [b, integration, a] = trail() as [StoredChain, StoredChain, StoredChain];
    const broken = (chain: StoredChain) => ({ ...chain, events: chain.events.slice(1) });
    const report = verifyTrail([broken(b), integration, broken(a)]);
    expect(report.ok).toBe(false);
    expect(report.break?.item).toBe('key a');
  });

  it('against an anchor: holds while each anchored head is still in its chain; the first one lost, by name, is the break', () => {
    const chains = trail();
    const anchor = (items: Record<string, string>): Anchor => ({
      accountId: 'acme',
      integrationId: 'int_1',
      at: '2026-12-01T01:00:00.000Z',
      head: 'h',
      items,
    });
    const heads = Object.fromEntries(chains.map((chain) => [chain.item, chain.head ?? '']));
    expect(verifyTrail(chains, anchor(heads))).toMatchObject({
      ok: true,
      anchor: { holds: true, head: 'h' },
    });
    // The anchor's own order does not decide which loss is named first: item order does.
    const lost = verifyTrail(chains, anchor({ 'key x': 'gone', ...heads, 'key b': 'rewritten' }));
    expect(lost.ok).toBe(false);
    expect(lost.anchor?.holds).toBe(false);
    expect(lost.break).toEqual({
      item: 'key b',
      reason: 'anchor-mismatch',
      message:
        'The chain of key b no longer holds the head anchored at 2026-12-01T01:00:00.000Z: its history was rewritten.',
    });
    expect(verifyTrail(chains, anchor({ 'key x': 'gone' })).break).toEqual({
      item: 'key x',
      reason: 'anchor-mismatch',
      message: 'key x was anchored at 2026-12-01T01:00:00.000Z and is gone: its item was deleted.',
    });
  });
});
