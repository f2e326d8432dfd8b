import { createHash } from 'node:crypto';
import type { AuditEvent } from './model.js';
import { ascendingBy } from './order.js';

/**
 * The tamper-evident audit trail. Every event carries `prevHash` (the hash of the event before it) and
 * `hash` = SHA-256 over the canonical serialisation of the event with its `prevHash`. Events are chained
 * per item that carries them (an integration item, each of its key items, an account's settings items),
 * and the item keeps its chain's head (`auditHead`): a write that adds an event conditions on the head it
 * read, so two concurrent changes cannot both extend the same head, and the event stays in the same
 * single write as its change (a reveal stays one single-item write; see README "Audit trail").
 * An integration's trail is its items' chains; its head is the hash of their heads (`trailHead`).
 */

/** The `prevHash` of a chain's first event. */
export const GENESIS = '0'.repeat(64);

/** A chained event: the event and its links, hex. */
export type ChainedEvent = AuditEvent;

/**
 * JSON with object keys sorted at every level and undefined members left out: the same event always
 * serialises to the same bytes, whatever order its fields were built or stored in.
 */
export function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const record = value as Record<string, unknown>;
  // The plain sort: object keys are unique, and it orders them by code unit.
  const members = Object.keys(record)
    .sort()
    .filter((name) => record[name] !== undefined)
    .map((name) => `${JSON.stringify(name)}:${canonical(record[name])}`);
  return `{${members.join(',')}}`;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** The hash of `event` placed after `prevHash`. Its account and integration are part of it. */
export function eventHash(event: AuditEvent, prevHash: string): string {
  const { prevHash: _p, hash: _h, ...fields } = event;
  return sha256(canonical({ ...fields, prevHash }));
}

/** Links `event` after `head` (none: it starts the chain). */
export function link(event: AuditEvent, head: string | undefined): { prevHash: string; hash: string } {
  const prevHash = head ?? GENESIS;
  return { prevHash, hash: eventHash(event, prevHash) };
}

/** One item's chain as stored: its events (any order) and the head it keeps. */
export interface StoredChain {
  /** What the item is, for the report: `integration`, `key <id>`, `settings <name>`. */
  item: string;
  events: ChainedEvent[];
  head: string | undefined;
}

export type BreakReason =
  /** The event's content no longer hashes to its stored hash. */
  | 'edited'
  /** The event does not follow the one before it: an event between them is gone, or was rewritten. */
  | 'missing-before'
  /** The item's head names an event that is not there: the chain's last events are gone. */
  | 'head-mismatch'
  /** An event without links in an item whose chain had already begun. */
  | 'unlinked'
  /** The chain no longer holds the head an anchor recorded: history before it was rewritten, or the item deleted. */
  | 'anchor-mismatch';

export interface ChainBreak {
  item: string;
  /** The first event that fails, in chain order; absent when the item's last events are gone. */
  eventId?: string;
  reason: BreakReason;
  message: string;
}

export interface ChainReport {
  item: string;
  events: number;
  /** Events written before the chain existed (no links, older than the chain's first event). */
  unchained: number;
  head: string | undefined;
  break?: ChainBreak;
}

/** The earliest of the events' ids (ids sort by creation); undefined for none. */
const earliestId = (events: readonly ChainedEvent[]): string | undefined =>
  events.map((event) => event.id).sort()[0];

/** Chains (or their reports) in item order: item names are unique in a trail. */
const byItem = <T extends { item: string }>(chains: readonly T[]): T[] =>
  ascendingBy(chains, (chain) => chain.item);

/** Recomputes one item's chain from its first event to its head and reports the first break. */
export function verifyChain({ item, events, head }: StoredChain): ChainReport {
  const linked = events.filter((event) => event.hash !== undefined && event.prevHash !== undefined);
  const unlinked = events.filter((event) => !linked.includes(event));
  // Unlinked events older than the chain's first linked one were written before chains existed; any
  // other unlinked event is late. Ids sort by creation.
  const ids = events.map((event) => event.id).sort();
  const firstLinked = earliestId(linked);
  const beforeChain = new Set(firstLinked === undefined ? ids : ids.slice(0, ids.indexOf(firstLinked)));
  const report = (unchained: number, found?: Omit<ChainBreak, 'item'>): ChainReport => ({
    item,
    events: events.length,
    unchained,
    head,
    ...(found ? { break: { item, ...found } } : {}),
  });
  const late = earliestId(unlinked.filter((event) => !beforeChain.has(event.id)));
  const unchained = unlinked.filter((event) => beforeChain.has(event.id)).length;

  const byPrev = new Map<string, ChainedEvent[]>();
  for (const event of linked) {
    const prev = event.prevHash as string;
    byPrev.set(prev, [...(byPrev.get(prev) ?? []), event]);
  }
  let at = GENESIS;
  let previous: ChainedEvent | undefined;
  const seen = new Set<ChainedEvent>();
  for (;;) {
    const next = byPrev.get(at) ?? [];
    const event = next[0];
    if (!event) break;
    if (next.length > 1) {
      return report(unchained, {
        eventId: (next[1] as ChainedEvent).id,
        reason: 'missing-before',
        message: `Two events follow the same event${previous ? ` ${previous.id}` : ''}: one of them was inserted.`,
      });
    }
    if (eventHash(event, at) !== event.hash) {
      return report(unchained, {
        eventId: event.id,
        reason: 'edited',
        message: `Event ${event.id} was changed after it was written: its content no longer matches its hash.`,
      });
    }
    seen.add(event);
    previous = event;
    at = event.hash as string;
  }
  const stray = earliestId(linked.filter((event) => !seen.has(event)));
  if (stray) {
    return report(unchained, {
      eventId: stray,
      reason: 'missing-before',
      message: `Event ${stray} does not follow ${previous ? `event ${previous.id}` : 'the start of the chain'}: an event before it was deleted or rewritten.`,
    });
  }
  if (late) {
    return report(unchained, {
      eventId: late,
      reason: 'unlinked',
      message: `Event ${late} has no hash although the chain began before it: it was added or stripped outside the service.`,
    });
  }
  const end = previous ? at : undefined;
  if (end !== head) {
    return report(unchained, {
      ...(previous ? { eventId: previous.id } : {}),
      reason: 'head-mismatch',
      message: previous
        ? `The chain ends at event ${previous.id}, but the item's head names a later event: events after it were deleted.`
        : "The item's head names events that are not there: its events were deleted.",
    });
  }
  return report(unchained);
}

/** The head of a whole trail: the hash of its items' heads, in item order. What an anchor records. */
export function trailHead(chains: Pick<ChainReport, 'item' | 'head'>[]): string {
  const heads = byItem(chains)
    .filter((chain) => chain.head !== undefined)
    .map((chain) => [chain.item, chain.head]);
  return sha256(canonical(heads));
}

/** A trail's heads as written to the anchor store at `at`: out of reach of a table writer. */
export interface Anchor {
  accountId: string;
  integrationId: string;
  at: string;
  head: string;
  /** Each item's head at `at`, by chain name. */
  items: Record<string, string>;
}

export interface TrailReport {
  ok: boolean;
  events: number;
  unchained: number;
  head: string;
  chains: Pick<ChainReport, 'item' | 'events' | 'head'>[];
  break?: ChainBreak;
  /** The last anchor, and whether the trail still holds every head it recorded. */
  anchor?: { at: string; head: string; holds: boolean };
}

/**
 * Verifies a whole trail: every item's chain from its first event to its head, then, given the last
 * anchor, that each head it recorded is still in its chain (a chain can only have grown since). The
 * first break is the earliest in item order: the integration, then its keys by id.
 */
export function verifyTrail(chains: StoredChain[], anchor?: Anchor): TrailReport {
  const reports = byItem(chains.map(verifyChain));
  let found = reports.find((report) => report.break)?.break;
  let holds = true;
  if (anchor) {
    const byName = new Map(chains.map((chain) => [chain.item, chain]));
    for (const item of Object.keys(anchor.items).sort()) {
      const head = anchor.items[item];
      const chain = byName.get(item);
      if (chain?.events.some((event) => event.hash === head)) continue;
      holds = false;
      found ??= {
        item,
        reason: 'anchor-mismatch',
        message: chain
          ? `The chain of ${item} no longer holds the head anchored at ${anchor.at}: its history was rewritten.`
          : `${item} was anchored at ${anchor.at} and is gone: its item was deleted.`,
      };
    }
  }
  return {
    ok: found === undefined,
    events: reports.reduce((sum, report) => sum + report.events, 0),
    unchained: reports.reduce((sum, report) => sum + report.unchained, 0),
    head: trailHead(reports),
    chains: reports.map(({ item, events, head }) => ({ item, events, head })),
    ...(found ? { break: found } : {}),
    ...(anchor ? { anchor: { at: anchor.at, head: anchor.head, holds } } : {}),
  };
}

/** The anchor of a trail now: its head and each item's. */
export function anchorOf(accountId: string, integrationId: string, chains: StoredChain[], at: Date): Anchor {
  const items = Object.fromEntries(
    chains.flatMap((chain) => (chain.head === undefined ? [] : [[chain.item, chain.head]])),
  );
  return { accountId, integrationId, at: at.toISOString(), head: trailHead(chains), items };
}
