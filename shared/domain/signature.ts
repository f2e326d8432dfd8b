import { createHmac, timingSafeEqual } from 'node:crypto';

/** The inbound signing rule, in one place. */
export const HEADERS = {
  client: 'x-auth-client',
  signature: 'x-hmac-signature',
  timestamp: 'x-auth-timestamp',
} as const;

/** A timestamp further than this from now, either way, is rejected (replay defence). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

const HEX_SIGNATURE = /^[0-9a-fA-F]{64}$/;
const UNIX_SECONDS = /^\d{1,12}$/;

export function parseHexSignature(signature: string): Buffer | undefined {
  return HEX_SIGNATURE.test(signature) ? Buffer.from(signature, 'hex') : undefined;
}

export function parseTimestamp(timestamp: string): number | undefined {
  return UNIX_SECONDS.test(timestamp) ? Number(timestamp) : undefined;
}

/** What the MAC covers: the raw body, or "<timestamp>.<raw body>" in the timestamped form. */
export function signedPayload(body: Buffer, timestamp?: string): Buffer {
  return timestamp === undefined ? body : Buffer.concat([Buffer.from(`${timestamp}.`, 'utf8'), body]);
}

export function hmacSha256(key: Buffer, payload: Buffer | string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

export function macMatches(key: Buffer, payload: Buffer, provided: Buffer): boolean {
  const expected = hmacSha256(key, payload);
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}
