import type { CredentialCache } from './credential-cache.js';
import { ConflictError, NotFoundError } from './errors.js';
import { ID_PATTERNS, timeOrderedId } from './ids.js';
import type { SigningKeyCache } from './key-cache.js';
import type { Credential, SigningEntry } from './model.js';
import type { Clock, Envelope, KeyStore } from './ports.js';
import {
  hmacSha256,
  isReservedLegacyBody,
  macMatches,
  parseHexSignature,
  parseTimestamp,
  signedPayload,
  TIMESTAMP_TOLERANCE_SECONDS,
  WEBHOOK_ID_PREFIX,
  webhookContent,
} from './signature.js';

export type VerifyFailure =
  | 'missing_headers'
  | 'unknown_client'
  | 'malformed_signature'
  | 'malformed_timestamp'
  | 'timestamp_required'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'reserved_body'
  | 'key_expired'
  | 'unavailable';

/**
 * Said to the client that failed: how to fix its request, never anything about a secret. Built per call
 * (failures only), so no module-load constant stands between a message and the tests that read it.
 */
export function failureMessage(reason: VerifyFailure): string {
  const messages: Record<VerifyFailure, string> = {
    missing_headers: 'Send the X-AUTH-CLIENT and X-HMAC-SIGNATURE headers.',
    unknown_client: 'X-AUTH-CLIENT does not name a known integration.',
    malformed_signature: 'X-HMAC-SIGNATURE must be the HMAC-SHA256 as 64 lowercase hex characters.',
    malformed_timestamp: 'X-AUTH-TIMESTAMP must be whole unix seconds: digits only, no leading zero.',
    timestamp_required:
      'This integration requires the timestamped form: send X-AUTH-TIMESTAMP and sign "<timestamp>\\n<METHOD>\\n<path?query>\\n<raw body>".',
    stale_timestamp: `X-AUTH-TIMESTAMP is more than ${TIMESTAMP_TOLERANCE_SECONDS} seconds from the server's clock; sign a fresh timestamp and check the client's clock.`,
    bad_signature:
      'The signature matches no usable key of this integration. Sign "<timestamp>\\n<METHOD>\\n<path?query>\\n<raw body>" (or, with legacy signatures, the raw body bytes) with HMAC-SHA256 and send lowercase hex.',
    reserved_body:
      'In the legacy form a body must not begin with "msg_" (webhook content starts so); use the timestamped form.',
    key_expired:
      'The signature was made with a key that has expired (after a rotation, or at the expiry it was created with). Sign with a current key.',
    unavailable: 'Signature verification is briefly unavailable. Retry the request.',
  };
  return messages[reason];
}

export type VerifyResult =
  | { valid: true; accountId: string; integrationId: string; keyId: string; keyName: string }
  | { valid: false; reason: VerifyFailure; retryable: boolean };

export interface VerifyInput {
  apiKey: string | undefined;
  signature: string | undefined;
  body: Buffer;
  timestamp?: string;
  /** The request's method and path (with query), as the client sent them: the timestamped MAC covers both. */
  method: string;
  path: string;
}

export interface SigningDeps {
  store: Pick<KeyStore, 'getCredential' | 'findIntegration' | 'recordKeyUse'>;
  envelope: Envelope;
  clock: Clock;
  cache: SigningKeyCache;
  /** Credential records reused for a bounded staleness (and one read in flight per apiKey). */
  credentials: CredentialCache;
  /** lastUsedAt is written at most once per key per this interval. */
  lastUsedIntervalMs: number;
  /** Told about a failed lastUsedAt write; verification does not fail because of it. */
  onUsageError?: (error: unknown) => void;
  /** How many keys' last writes, and integrations' locations, are remembered; at the bound, memory starts over. */
  rememberAtMost?: number;
}

/** Active or expiring, and before its expiry (a rotation's overlap end, or one chosen at creation). */
function isUsable(entry: SigningEntry, now: number): boolean {
  if (entry.status !== 'active' && entry.status !== 'expiring') return false;
  return entry.expiresAt === undefined || Date.parse(entry.expiresAt) > now;
}

/** A credential's usable keys, newest first: key ids are time-ordered (ids.ts), so their reverse sort order. */
function newestUsable(credential: Credential, now: number): [string, SigningEntry][] {
  return Object.keys(credential.keys)
    .sort()
    .reverse()
    .flatMap((keyId) => {
      const entry = credential.keys[keyId];
      return entry && isUsable(entry, now) ? [[keyId, entry] as [string, SigningEntry]] : [];
    });
}

const fail = (reason: VerifyFailure): VerifyResult => ({
  valid: false,
  reason,
  retryable: reason === 'unavailable',
});

/**
 * Verification and webhook signing with the same keys. Decrypted signing keys are cached per container;
 * the credential record, which says which keys are usable, is reused for at most the credential
 * cache's staleness bound, so a revoke or an expiry takes effect everywhere within it. Any internal
 * failure rejects: verification never allows on error.
 */
export function createSigningService(deps: SigningDeps) {
  const lastWritten = new Map<string, number>();
  const integrations = new Map<string, { accountId: string; apiKey: string }>();
  const bound = deps.rememberAtMost ?? 10_000;
  /** Container memory stays bounded: a full map starts over rather than growing with every key seen. */
  const remember = <T>(map: Map<string, T>, key: string, value: T) => {
    if (map.size >= bound) map.clear();
    map.set(key, value);
  };
  const credentialOf = (apiKey: string) =>
    deps.credentials.get(apiKey, () => deps.store.getCredential(apiKey));

  function withKey<T>(credential: Credential, keyId: string, entry: SigningEntry, fn: (key: Buffer) => T) {
    return deps.cache.use(
      `${credential.accountId}/${credential.integrationId}/${keyId}`,
      () =>
        deps.envelope.open(entry.signing, {
          account: credential.accountId,
          integration: credential.integrationId,
          key: keyId,
          purpose: 'signing',
        }),
      fn,
    );
  }

  async function firstMatch(
    credential: Credential,
    entries: [string, SigningEntry][],
    payload: Buffer,
    provided: Buffer,
  ) {
    // Every candidate is checked (no early exit), each comparison in constant time.
    const matches = await Promise.all(
      entries.map(([keyId, entry]) =>
        withKey(credential, keyId, entry, (key) => macMatches(key, payload, provided)),
      ),
    );
    return entries[matches.indexOf(true)]; // undefined when none matched (index -1)
  }

  async function recordUse(credential: Credential, keyId: string) {
    const now = deps.clock.now().getTime();
    const last = lastWritten.get(keyId);
    if (last !== undefined && now - last < deps.lastUsedIntervalMs) return;
    remember(lastWritten, keyId, now);
    try {
      await deps.store.recordKeyUse({
        accountId: credential.accountId,
        integrationId: credential.integrationId,
        keyId,
        at: new Date(now).toISOString(),
        notBefore: new Date(now - deps.lastUsedIntervalMs).toISOString(),
      });
    } catch (error) {
      lastWritten.delete(keyId);
      deps.onUsageError?.(error);
    }
  }

  async function verify(input: VerifyInput): Promise<VerifyResult> {
    if (!input.apiKey || !input.signature) return fail('missing_headers');
    const provided = parseHexSignature(input.signature);
    if (!provided) return fail('malformed_signature');
    // A string that cannot be an apiKey costs no read: unauthenticated traffic stays cheap.
    if (!ID_PATTERNS.apiKey.test(input.apiKey)) return fail('unknown_client');
    try {
      const credential = await credentialOf(input.apiKey);
      if (!credential) return fail('unknown_client');
      if (input.timestamp === undefined) {
        if (!credential.legacySignatures) return fail('timestamp_required');
        if (isReservedLegacyBody(input.body)) return fail('reserved_body');
      } else {
        const seconds = parseTimestamp(input.timestamp);
        if (seconds === undefined) return fail('malformed_timestamp');
        const skew = Math.abs(deps.clock.now().getTime() / 1000 - seconds);
        if (skew > TIMESTAMP_TOLERANCE_SECONDS) return fail('stale_timestamp');
      }
      const payload = signedPayload(input);
      const now = deps.clock.now().getTime();
      const entries = Object.entries(credential.keys);
      const usable = entries.filter(([, entry]) => isUsable(entry, now));
      const match = await firstMatch(credential, usable, payload, provided);
      if (match) {
        await recordUse(credential, match[0]);
        return {
          valid: true,
          accountId: credential.accountId,
          integrationId: credential.integrationId,
          keyId: match[0],
          keyName: match[1].name,
        };
      }
      // Only on failure: was it signed with a key that expired after a rotation? Tell the client so. A
      // revoked key keeps nothing decryptable, so its signatures are simply not recognised.
      // Stryker disable next-line MethodExpression: the usable keys just failed to match, so checking them again changes no result
      const expired = entries.filter(([, entry]) => !isUsable(entry, now));
      if (await firstMatch(credential, expired, payload, provided)) return fail('key_expired');
      return fail('bad_signature');
    } catch {
      return fail('unavailable');
    }
  }

  async function locate(integrationId: string) {
    const known = integrations.get(integrationId);
    if (known) return known;
    const found = await deps.store.findIntegration(integrationId);
    if (!found) throw new NotFoundError('integration', integrationId);
    remember(integrations, integrationId, found);
    return found;
  }

  /**
   * Standard Webhooks headers for an outbound webhook, one v1 signature per usable key (so a receiver
   * never sees a gap during a rotation). Only for the caller's own account: a foreign id is not found.
   */
  async function sign(input: { accountId: string; integrationId: string; payload: string; id?: string }) {
    const { apiKey, accountId } = await locate(input.integrationId);
    if (accountId !== input.accountId) throw new NotFoundError('integration', input.integrationId);
    const credential = await credentialOf(apiKey);
    if (!credential) throw new NotFoundError('integration', input.integrationId);
    const now = deps.clock.now();
    const usable = newestUsable(credential, now.getTime());
    const newest = usable[0];
    if (!newest) {
      throw new ConflictError(
        'no_usable_key',
        'This integration has no active key to sign with; create one first.',
      );
    }
    const id = input.id ?? `${WEBHOOK_ID_PREFIX}${timeOrderedId(now)}`;
    const timestamp = Math.floor(now.getTime() / 1000);
    const signedContent = webhookContent(id, timestamp, input.payload);
    const v1 = await Promise.all(
      usable.map(([keyId, entry]) =>
        withKey(credential, keyId, entry, (key) => `v1,${hmacSha256(key, signedContent).toString('base64')}`),
      ),
    );
    return {
      headers: {
        'X-AUTH-CLIENT': apiKey,
        'webhook-id': id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': v1.join(' '),
      },
      keyIds: usable.map(([keyId]) => keyId),
    };
  }

  return { verify, sign };
}

export type SigningService = ReturnType<typeof createSigningService>;
