import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The signing rules, in one place: what an integration signs when it calls in, what this service signs
 * when it sends a webhook, and why the two can never be mistaken for each other.
 *
 * Inbound, timestamped (the default, and the only form an integration accepts unless it opts in to
 * legacy signatures): HMAC-SHA256 over "<timestamp>\n<METHOD>\n<path?query>\n<raw body>". The timestamp
 * defeats replays (a window of TIMESTAMP_TOLERANCE_SECONDS), the method and path bind the signature to
 * what the request does, so a signed `POST /a` cannot be replayed as `POST /b`. Newlines separate the
 * parts because neither a method, a timestamp nor an HTTP request target can contain one.
 *
 * Inbound, legacy (Veriff-compatible, per-integration opt-in): HMAC-SHA256 over the raw body alone.
 *
 * Outbound webhooks (Standard Webhooks v1): HMAC-SHA256 over "<msg id>.<timestamp>.<payload>", where the
 * id always begins with `msg_`. Domain separation: a webhook's signed content begins with `msg_`; a
 * timestamped inbound content begins with a digit; and a legacy inbound body that begins with `msg_` is
 * refused. So no MAC this service ever computes is accepted by its verifier, in any form: a reader of
 * webhook deliveries cannot replay one as a call into the platform.
 */
export const HEADERS = {
  client: 'x-auth-client',
  signature: 'x-hmac-signature',
  timestamp: 'x-auth-timestamp',
} as const;

/** A timestamp further than this from now, either way, is rejected (replay defence). */
export const TIMESTAMP_TOLERANCE_SECONDS = 300;

/** Webhook ids, and so the start of every webhook's signed content. */
export const WEBHOOK_ID_PREFIX = 'msg_';
export const WEBHOOK_ID = /^msg_[0-9A-Za-z]{1,64}$/;

/** Exactly what the README says: 64 lowercase hex characters; whole seconds, no sign, no leading zero. */
const HEX_SIGNATURE = /^[0-9a-f]{64}$/;
const UNIX_SECONDS = /^[1-9]\d{0,11}$/;
const RESERVED_LEGACY_PREFIX = Buffer.from(WEBHOOK_ID_PREFIX, 'utf8');

export function parseHexSignature(signature: string): Buffer | undefined {
  return HEX_SIGNATURE.test(signature) ? Buffer.from(signature, 'hex') : undefined;
}

export function parseTimestamp(timestamp: string): number | undefined {
  return UNIX_SECONDS.test(timestamp) ? Number(timestamp) : undefined;
}

export interface SignedRequest {
  method: string;
  /** The path as the client sent it, with its query string (`/v1/orders?id=1`). */
  path: string;
  body: Buffer;
  timestamp?: string;
}

/** What the inbound MAC covers: the timestamped content, or the raw body alone in the legacy form. */
export function signedPayload({ method, path, body, timestamp }: SignedRequest): Buffer {
  if (timestamp === undefined) return body;
  return Buffer.concat([Buffer.from(`${timestamp}\n${method.toUpperCase()}\n${path}\n`, 'utf8'), body]);
}

/** A legacy body that could be a webhook's signed content (see above). */
export function isReservedLegacyBody(body: Buffer): boolean {
  return body.subarray(0, RESERVED_LEGACY_PREFIX.length).equals(RESERVED_LEGACY_PREFIX);
}

/** What a webhook's signatures cover (Standard Webhooks v1). */
export function webhookContent(id: string, timestamp: number, payload: string): string {
  return `${id}.${timestamp}.${payload}`;
}

export function hmacSha256(key: Buffer, payload: Buffer | string): Buffer {
  return createHmac('sha256', key).update(payload).digest();
}

export function macMatches(key: Buffer, payload: Buffer, provided: Buffer): boolean {
  const expected = hmacSha256(key, payload);
  return expected.length === provided.length && timingSafeEqual(expected, provided);
}

/** A key's public fingerprint: a MAC of a fixed label under the secret, which cannot be turned back into it. */
export function fingerprint(secret: Buffer | string): string {
  return hmacSha256(Buffer.from(secret), 'shared-secret-keys/fingerprint/v1').toString('hex');
}
