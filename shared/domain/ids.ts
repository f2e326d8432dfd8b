import { randomBytes } from 'node:crypto';
import { randomBase62 } from './secret.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

let lastTime = -1;
const lastRandom = new Uint8Array(16);

/**
 * A ULID-style id: 10 characters of millisecond time then 16 random ones, so ids sort by creation.
 * Monotonic within a process: ids made in the same millisecond still sort in the order they were made.
 */
export function timeOrderedId(now: Date): string {
  let time = now.getTime();
  if (time === lastTime) {
    // Adds one, carrying leftwards. The headroom below keeps a carry from ever passing digit 0.
    for (let i = lastRandom.length - 1; ; i--) {
      lastRandom[i] = ((lastRandom[i] ?? 0) + 1) % 32;
      if (lastRandom[i] !== 0) break;
    }
  } else {
    lastTime = time;
    lastRandom.set(randomBytes(16).map((byte) => byte % 32));
    // Leave headroom so increments within one millisecond do not wrap.
    lastRandom[0] = (lastRandom[0] ?? 0) % 16;
  }
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  let tail = '';
  for (const digit of lastRandom) tail += CROCKFORD[digit];
  return head + tail;
}

/** The creation time a time-ordered id carries (its first 10 characters after the prefix), ISO 8601. */
export function timeOfId(id: string): string {
  const digits = id.slice(id.indexOf('_') + 1, id.indexOf('_') + 11);
  let time = 0;
  for (const digit of digits) time = time * 32 + CROCKFORD.indexOf(digit);
  return new Date(time).toISOString();
}

export const newIntegrationId = (now: Date): string => `int_${timeOrderedId(now)}`;
export const newKeyId = (now: Date): string => `key_${timeOrderedId(now)}`;
export const newEventId = (now: Date): string => `evt_${timeOrderedId(now)}`;
/** The public client id an integration sends as X-AUTH-CLIENT. Public, but unguessable. */
export const newApiKey = (): string => `ak_${randomBase62(16, 22)}`;

export const ID_PATTERNS = {
  integration: /^int_[0-9A-HJKMNP-TV-Z]{26}$/,
  key: /^key_[0-9A-HJKMNP-TV-Z]{26}$/,
  apiKey: /^ak_[0-9A-Za-z]{22}$/,
  event: /^evt_[0-9A-HJKMNP-TV-Z]{26}$/,
} as const;
