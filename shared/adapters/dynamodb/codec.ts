import { IntegrityError } from '../../domain/errors.js';
import type { AuditEvent, Credential, KeyRecord, SigningEntry } from '../../domain/model.js';
import { dayOf } from '../../domain/rotation.js';
import { packSealed, unpackSealed } from '../kms-envelope.js';
import { AUDIT_ATTRIBUTE, TABLE, TableKeys } from './table.js';

/**
 * Items as stored, and back. Audit events live in the item they concern, in a map attribute `audit`
 * keyed by event id, and are written by the same write that makes the change: a key's creation,
 * reveal, rotation and revocation land in its key item, the integration's creation in the integration
 * item. The write is atomic with the change either way (a single-item write is; a transaction is),
 * each event is added once under its own id and never rewritten, and nothing else writes the map.
 * Keeping the event off a separate item is what lets a reveal be one 1 KB conditional write instead of
 * a two-item transaction (4× the write units), and a created key a two-item transaction instead of
 * three. The audit list reads the integration and its key items and merges their events, newest first.
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

export function keyOf(item: Item): KeyRecord {
  const key = strip<KeyRecord>(item);
  if (key.displayCiphertext !== undefined) key.displayCiphertext = unpack(key.displayCiphertext);
  return key;
}

export function credentialOf(item: Item): Credential {
  const credential = strip<Credential>(item);
  const keys = credential.keys as unknown as Record<string, Item>;
  credential.keys = Object.fromEntries(Object.entries(keys).map(([id, entry]) => [id, entryOf(entry)]));
  return credential;
}

/** An audit event as its item stores it: the account and integration are the item's own. */
export function storedEvent({ accountId: _a, integrationId: _i, id: _id, ...rest }: AuditEvent): Item {
  return rest;
}

/** A key item's place in the due index (table.ts gsi2), from its `dueAt`; none when it has none. */
export const dueIndex = (dueAt: string | undefined): Item =>
  dueAt === undefined
    ? {}
    : { [TABLE.gsi2.partitionKey]: TableKeys.due(dayOf(dueAt)), [TABLE.gsi2.sortKey]: dueAt };

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

/** Adds one event to an item's audit map inside an update expression, with eventNames/eventValues. */
export const ADD_EVENT = '#audit.#eventId = :event';
export const eventNames = (event: AuditEvent) => ({ '#audit': AUDIT_ATTRIBUTE, '#eventId': event.id });
export const eventValues = (event: AuditEvent) => ({ ':event': storedEvent(event) });

export function eventsOf(item: Item | undefined, accountId: string, integrationId?: string): AuditEvent[] {
  const map = item?.[AUDIT_ATTRIBUTE];
  if (!map || typeof map !== 'object') return [];
  return Object.entries(map as Record<string, Item>).map(
    ([id, stored]) =>
      ({ ...stored, id, accountId, ...(integrationId === undefined ? {} : { integrationId }) }) as AuditEvent,
  );
}
