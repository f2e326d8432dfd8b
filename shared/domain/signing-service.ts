import type { CredentialCache } from './credential-cache.js';
import { ConflictError, NotFoundError } from './errors.js';
import { ID_PATTERNS, newEventId } from './ids.js';
import type { SigningKeyCache } from './key-cache.js';
import type { Credential, SigningEntry } from './model.js';
import type { Clock, Envelope, KeyStore } from './ports.js';
import {
  hmacSha256,
  macMatches,
  parseHexSignature,
  parseTimestamp,
  signedPayload,
  TIMESTAMP_TOLERANCE_SECONDS,
} from './signature.js';

export type VerifyFailure =
  | 'missing_headers'
  | 'unknown_client'
  | 'malformed_signature'
  | 'malformed_timestamp'
  | 'timestamp_required'
  | 'stale_timestamp'
  | 'bad_signature'
  | 'key_revoked'
  | 'key_expired'
  | 'unavailable';

/** Said to the client that failed: how to fix its request, never anything about a secret. */
export const FAILURE_MESSAGES: Record<VerifyFailure, string> = {
  missing_headers: 'Send the X-AUTH-CLIENT and X-HMAC-SIGNATURE headers.',
  unknown_client: 'X-AUTH-CLIENT does not name a known integration.',
  malformed_signature: 'X-HMAC-SIGNATURE must be the HMAC-SHA256 as 64 lowercase hex characters.',
  malformed_timestamp: 'X-AUTH-TIMESTAMP must be whole unix seconds.',
  timestamp_required:
    'This integration requires the timestamped form: send X-AUTH-TIMESTAMP and sign "<timestamp>.<raw body>".',
  stale_timestamp: `X-AUTH-TIMESTAMP is more than ${TIMESTAMP_TOLERANCE_SECONDS} seconds from the server's clock; sign a fresh timestamp and check the client's clock.`,
  bad_signature:
    'The signature matches no active key of this integration. Sign the exact raw body bytes (or "<timestamp>.<raw body>") with HMAC-SHA256 and send lowercase hex.',
  key_revoked: 'The signature was made with a revoked key. Sign with an active key.',
  key_expired: 'The signature was made with a key that expired after a rotation. Sign with its successor.',
  unavailable: 'Signature verification is briefly unavailable. Retry the request.',
};

export type VerifyResult =
  | { valid: true; accountId: string; integrationId: string; keyId: string; keyName: string }
  | { valid: false; reason: VerifyFailure; retryable: boolean };

export interface VerifyInput {
  apiKey: string | undefined;
  signature: string | undefined;
  body: Buffer;
  timestamp?: string;
}

export interface SigningDeps {
  store: Pick<KeyStore, 'getCredential' | 'getRetiredKeys' | 'findIntegration' | 'recordKeyUse'>;
  envelope: Envelope;
  clock: Clock;
  cache: SigningKeyCache;
  /** Credential records reused for a bounded staleness (and one read in flight per apiKey). */
  credentials: CredentialCache;
  /** lastUsedAt is written at most once per key per this interval. */
  lastUsedIntervalMs: number;
  /** Told about a failed lastUsedAt write; verification does not fail because of it. */
  onUsageError?: (error: unknown) => void;
}

function isUsable(entry: SigningEntry, now: number): boolean {
  return (
    entry.status === 'active' || (entry.status === 'expiring' && Date.parse(entry.expiresAt ?? '') > now)
  );
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
    const index = matches.indexOf(true);
    return index === -1 ? undefined : entries[index];
  }

  async function recordUse(credential: Credential, keyId: string) {
    const now = deps.clock.now().getTime();
    const last = lastWritten.get(keyId);
    if (last !== undefined && now - last < deps.lastUsedIntervalMs) return;
    if (lastWritten.size > 10_000) lastWritten.clear();
    lastWritten.set(keyId, now);
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
        if (credential.requireTimestamp) return fail('timestamp_required');
      } else {
        const seconds = parseTimestamp(input.timestamp);
        if (seconds === undefined) return fail('malformed_timestamp');
        const skew = Math.abs(deps.clock.now().getTime() / 1000 - seconds);
        if (skew > TIMESTAMP_TOLERANCE_SECONDS) return fail('stale_timestamp');
      }
      const payload = signedPayload(input.body, input.timestamp);
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
      // Only on failure: was it signed with a key that no longer verifies? Tell the client which.
      const stale = [
        ...entries.filter(([, entry]) => !isUsable(entry, now)),
        ...Object.entries(await deps.store.getRetiredKeys(credential.apiKey)),
      ];
      const old = await firstMatch(credential, stale, payload, provided);
      if (old) return fail(old[1].status === 'revoked' ? 'key_revoked' : 'key_expired');
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
    if (integrations.size > 10_000) integrations.clear();
    integrations.set(integrationId, found);
    return found;
  }

  /** Headers for an outbound webhook: X-HMAC-SIGNATURE with the newest key, Standard Webhooks for all. */
  async function sign(input: { integrationId: string; payload: string; id?: string }) {
    const { apiKey } = await locate(input.integrationId);
    const credential = await credentialOf(apiKey);
    if (!credential) throw new NotFoundError('integration', input.integrationId);
    const now = deps.clock.now();
    const usable = Object.entries(credential.keys)
      .filter(([, entry]) => isUsable(entry, now.getTime()))
      .sort(([a], [b]) => (a < b ? 1 : -1)); // ids are time-ordered: newest first
    const newest = usable[0];
    if (!newest) {
      throw new ConflictError(
        'no_usable_key',
        'This integration has no active key to sign with; create one first.',
      );
    }
    const id = input.id ?? newEventId(now).replace(/^evt_/, 'msg_');
    const timestamp = Math.floor(now.getTime() / 1000);
    const signedContent = `${id}.${timestamp}.${input.payload}`;
    const [hex, ...v1] = await Promise.all([
      withKey(credential, newest[0], newest[1], (key) => hmacSha256(key, input.payload).toString('hex')),
      ...usable.map(([keyId, entry]) =>
        withKey(credential, keyId, entry, (key) => `v1,${hmacSha256(key, signedContent).toString('base64')}`),
      ),
    ]);
    return {
      headers: {
        'X-AUTH-CLIENT': apiKey,
        'X-HMAC-SIGNATURE': hex,
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
