import { type ChainedEvent, GENESIS, link, type StoredChain } from '../../domain/audit-chain.js';
import { IntegrityError } from '../../domain/errors.js';
import { timeOfId } from '../../domain/ids.js';
import type { AuditEvent, Credential, KeyRecord, SigningEntry } from '../../domain/model.js';
import { dayOf } from '../../domain/rotation.js';
import { packSealed, unpackSealed } from '../kms-envelope.js';
import { AUDIT_ATTRIBUTE, HEAD_ATTRIBUTE, TABLE, TableKeys } from './table.js';

/**
 * Items as stored, and back. Audit events live in the item they concern, in a map attribute `audit`
 * keyed by event id, and are written by the same write that makes the change: a key's creation,
 * reveal, rotation and revocation land in its key item, the integration's creation in the integration
 * item. The write is atomic with the change either way (a single-item write is; a transaction is),
 * each event is added once under its own id and never rewritten, and nothing else writes the map.
 * Keeping the event off a separate item is what lets a reveal be one 1 KB conditional write instead of
 * a two-item transaction (4× the write units), and a created key a two-item transaction instead of
 * three. The audit list reads the integration and its key items and merges their events, newest first.
 *
 * Each item's events form a hash chain (shared/domain/audit-chain.ts): every event stores `prevHash`
 * and `hash`, the item stores its chain's head in `auditHead`, and the write that adds an event
 * conditions on the head it read. Hashes are stored as 32 bytes, not 64 hex characters: a key item
 * with its display copy and two events stays under the 1 KB of one write unit.
 */
export type Item = Record<string, unknown>;

const INTERNAL_ATTRIBUTES = [
  TABLE.partitionKey,
  TABLE.sortKey,
  'type',
  TABLE.gsi1.partitionKey,
  TABLE.gsi1.sortKey,
  TABLE.gsi2.partitionKey,
  AUDIT_ATTRIBUTE,
  HEAD_ATTRIBUTE,
] as const;

export function strip<T>(item: Item): T {
  const copy: Item = { ...item };
  for (const attribute of INTERNAL_ATTRIBUTES) delete copy[attribute];
  return copy as T;
}

/**
 * Sealed values (display copies, signing copies) are stored as bytes, not as their base64url text: a
 * quarter less item size, and so fewer write units, most of all on the verification record.
 */
function unpack(value: unknown): string {
  if (value instanceof Uint8Array) return unpackSealed(value);
  if (typeof value === 'string') return value;
  throw new IntegrityError('Stored ciphertext has an unknown form');
}

export const storedEntry = (entry: SigningEntry): Item => ({ ...entry, signing: packSealed(entry.signing) });
export const entryOf = (stored: Item): SigningEntry => ({
  ...(stored as unknown as SigningEntry),
  signing: unpack(stored.signing),
});

const hexOf = (value: unknown): string | undefined =>
  value instanceof Uint8Array ? Buffer.from(value).toString('hex') : undefined;
const bytesOf = (hex: string): Uint8Array => Buffer.from(hex, 'hex');

/** The head of the item's audit chain, hex; undefined before its first chained event. */
export const headOf = (item: Item | undefined): string | undefined => hexOf(item?.[HEAD_ATTRIBUTE]);

/** A stored record with its chain's head, which the next write that adds an event conditions on. */
export function withHead<T>(item: Item): T & { auditHead?: string } {
  const head = headOf(item);
  return { ...strip<T>(item), ...(head === undefined ? {} : { auditHead: head }) };
}

export function keyOf(item: Item): KeyRecord {
  const key = withHead<KeyRecord>(item);
  if (key.displayCiphertext !== undefined) key.displayCiphertext = unpack(key.displayCiphertext);
  return key;
}

export function credentialOf(item: Item): Credential {
  const credential = strip<Credential>(item);
  const keys = credential.keys as unknown as Record<string, Item>;
  credential.keys = Object.fromEntries(Object.entries(keys).map(([id, entry]) => [id, entryOf(entry)]));
  return credential;
}

/** A key item's place in the due index (table.ts gsi2), from its `dueAt`; none when it has none. */
export const dueIndex = (dueAt: string | undefined): Item =>
  dueAt === undefined
    ? {}
    : { [TABLE.gsi2.partitionKey]: TableKeys.due(dayOf(dueAt)), [TABLE.gsi2.sortKey]: dueAt };

/** An update expression from its SET and REMOVE clauses, leaving out an empty one. */
export function updateExpression(set: readonly string[], remove: readonly string[] = []): string {
  const clauses: string[] = [];
  if (set.length > 0) clauses.push(`SET ${set.join(', ')}`);
  if (remove.length > 0) clauses.push(`REMOVE ${remove.join(', ')}`);
  return clauses.join(' ');
}

/**
 * The same inside an update expression: SET clauses and values for a new `dueAt`, or the REMOVE
 * clause that takes the key out of the index.
 */
export function dueUpdate(dueAt: string | undefined): { set: string[]; remove: string[]; values: Item } {
  if (dueAt === undefined)
    return { set: [], remove: [TABLE.gsi2.sortKey, TABLE.gsi2.partitionKey], values: {} };
  return {
    set: [`${TABLE.gsi2.sortKey} = :dueAt`, `${TABLE.gsi2.partitionKey} = :dueDay`],
    remove: [],
    values: { ':dueAt': dueAt, ':dueDay': TableKeys.due(dayOf(dueAt)) },
  };
}

type Links = { prevHash: string; hash: string };

/**
 * An audit event as its item stores it, without what the item or the event's id already says: the
 * account and integration are the item's own, a key item's events concern its key (keyId kept only when
 * it is another), `at` is the time the event's id carries, and a chain's first event keeps no `prevHash`
 * (GENESIS). Every byte counts here: a key item with its display copy must stay within one write unit.
 */
export function storedEvent(
  { accountId: _a, integrationId: _i, id: _id, at: _at, keyId, ...rest }: AuditEvent,
  links: Links,
  itemKeyId?: string,
): Item {
  return {
    ...rest,
    ...(keyId === undefined || keyId === itemKeyId ? {} : { keyId }),
    ...(links.prevHash === GENESIS ? {} : { prevHash: bytesOf(links.prevHash) }),
    hash: bytesOf(links.hash),
  };
}

/** The key an item is the key item of, from its sort key; undefined for any other item. */
export function keyIdOf(sk: unknown): string | undefined {
  return typeof sk === 'string' && sk.startsWith(TableKeys.anyKeyPrefix) ? sk.split('#').at(-1) : undefined;
}

/** A new item's audit attributes: its first event, which starts its chain, and the head. */
export function firstEvent(event: AuditEvent, itemKeyId?: string): Item {
  const links = link(event, undefined);
  return {
    [AUDIT_ATTRIBUTE]: { [event.id]: storedEvent(event, links, itemKeyId) },
    [HEAD_ATTRIBUTE]: bytesOf(links.hash),
  };
}

/**
 * What an update expression needs to add `event` to an item whose chain ends at `head` (undefined: the
 * item has no chained event yet): a SET clause, a condition on that head, their names and values.
 */
export function appendEvent(event: AuditEvent, head: string | undefined, itemKeyId?: string) {
  const links = link(event, head);
  return {
    /** The head the write conditions on, and the head after it. */
    seen: head,
    head: links.hash,
    set: '#audit.#eventId = :event, #auditHead = :auditHead',
    condition: head === undefined ? 'attribute_not_exists(#auditHead)' : '#auditHead = :seenHead',
    names: { '#audit': AUDIT_ATTRIBUTE, '#eventId': event.id, '#auditHead': HEAD_ATTRIBUTE },
    values: {
      ':event': storedEvent(event, links, itemKeyId),
      ':auditHead': bytesOf(links.hash),
      ...(head === undefined ? {} : { ':seenHead': bytesOf(head) }),
    },
  };
}

/**
 * The events an item stores, whole again (storedEvent leaves out what the item says). An event stored
 * with a `hash` and no `prevHash` starts its chain; one with neither was written before the chain.
 */
export function eventsOf(item: Item | undefined, accountId: string, integrationId?: string): ChainedEvent[] {
  if (!item) return [];
  const map = item[AUDIT_ATTRIBUTE];
  if (!map || typeof map !== 'object') return [];
  const itemKeyId = keyIdOf(item[TABLE.sortKey]);
  return Object.entries(map as Record<string, Item>).map(([id, { prevHash, hash, ...stored }]) => {
    const links = { prevHash: hexOf(prevHash), hash: hexOf(hash) };
    return {
      ...(itemKeyId === undefined ? {} : { keyId: itemKeyId }),
      at: timeOfId(id),
      ...stored,
      id,
      accountId,
      ...(integrationId === undefined ? {} : { integrationId }),
      ...(links.hash === undefined ? {} : { prevHash: links.prevHash ?? GENESIS, hash: links.hash }),
    } as ChainedEvent;
  });
}

/** What an item's chain is called in a verification report, from its sort key. */
export function chainName(sk: string): string {
  if (sk.startsWith(TableKeys.integrationPrefix)) return 'integration';
  if (sk.startsWith(TableKeys.anyKeyPrefix)) return `key ${sk.split('#').at(-1)}`;
  return sk.toLowerCase().replace('#', ' ');
}

/** An item's audit chain as stored: its events and its head. */
export function chainOf(item: Item, accountId: string, integrationId?: string): StoredChain {
  return {
    item: chainName(String(item[TABLE.sortKey])),
    events: eventsOf(item, accountId, integrationId),
    head: headOf(item),
  };
}
