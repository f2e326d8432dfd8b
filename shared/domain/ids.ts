import { randomBytes } from 'node:crypto';
import { randomBase62 } from './secret.js';

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** A ULID-style id: 10 characters of millisecond time then 16 random ones, so ids sort by creation. */
export function timeOrderedId(now: Date): string {
  let time = now.getTime();
  let head = '';
  for (let i = 0; i < 10; i++) {
    head = CROCKFORD[time % 32] + head;
    time = Math.floor(time / 32);
  }
  const random = randomBytes(16);
  let tail = '';
  for (const byte of random) tail += CROCKFORD[byte % 32];
  return head + tail;
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
} as const;
