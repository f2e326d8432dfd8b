import { createHmac } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { CredentialCache } from '../../shared/domain/credential-cache.js';
import { SigningKeyCache } from '../../shared/domain/key-cache.js';
import type { Credential, SigningEntry } from '../../shared/domain/model.js';
import type { EncryptionContext, Envelope } from '../../shared/domain/ports.js';
import { fingerprint, macMatches } from '../../shared/domain/signature.js';
import {
  createSigningService,
  failureMessage,
  type SigningDeps,
  type VerifyFailure,
} from '../../shared/domain/signing-service.js';

/**
 * The signing rule's edges, with the domain's adapters replaced by small in-memory ones: the expiry
 * instant, the replay window's bound, the lastUsedAt throttle and its memory bound, the order and choice
 * of webhook signatures, and what each failure tells the client. The same rule against DynamoDB Local and
 * the KMS stand-in is in test/connected/signatures.test.ts.
 */
const T0 = Date.parse('2026-12-01T12:00:00Z');
const clock = { t: T0, now: () => new Date(clock.t) };

/** Sealed = the key and the context it was sealed under; opening under another context fails, like KMS. */
const envelope: Envelope = {
  seal: async (plaintext, context) => JSON.stringify({ key: plaintext.toString('hex'), context }),
  open: async (sealed, context: EncryptionContext) => {
    const { key, context: sealedWith } = JSON.parse(sealed) as { key: string; context: EncryptionContext };
    if (!isDeepStrictEqual(sealedWith, context)) throw new Error('InvalidCiphertextException');
    return Buffer.from(key, 'hex');
  },
};

const ACCOUNT = 'acme';
const INTEGRATION = 'int_01JQ0000000000000000000000';
const API_KEY = 'ak_AAAAAAAAAAAAAAAAAAAAAA';
const secretOf = (keyId: string) => Buffer.from(`secret-of-${keyId}`);

async function entry(keyId: string, fields: Partial<SigningEntry> = {}): Promise<SigningEntry> {
  const signing = await envelope.seal(secretOf(keyId), {
    account: ACCOUNT,
    integration: INTEGRATION,
    key: keyId,
    purpose: 'signing',
  });
  return { name: keyId, status: 'active', createdAt: new Date(T0).toISOString(), signing, ...fields };
}

interface Harness {
  credential: Credential;
  uses: { keyId: string; at: string; notBefore: string }[];
  lookups: string[];
  usageErrors: unknown[];
  failUseWrites: boolean;
}

function service(h: Harness, options: Partial<SigningDeps> = {}) {
  const store: SigningDeps['store'] = {
    getCredential: async (apiKey) => (apiKey === h.credential.apiKey ? h.credential : undefined),
    findIntegration: async (integrationId) => {
      h.lookups.push(integrationId);
      // Every int_ id is found here (all with the one credential), so the location memory can be counted.
      return integrationId.startsWith('int_')
        ? { accountId: h.credential.accountId, apiKey: h.credential.apiKey }
        : undefined;
    },
    recordKeyUse: async ({ keyId, at, notBefore }) => {
      if (h.failUseWrites) throw new Error('ProvisionedThroughputExceededException');
      h.uses.push({ keyId, at, notBefore });
      return true;
    },
  };
  return createSigningService({
    store,
    envelope,
    clock,
    cache: new SigningKeyCache(clock, 60_000, 100),
    credentials: new CredentialCache(clock, 0),
    lastUsedIntervalMs: 15 * 60_000,
    onUsageError: (error) => h.usageErrors.push(error),
    ...options,
  });
}

async function harness(keys: Record<string, Partial<SigningEntry>>): Promise<Harness> {
  const entries: Record<string, SigningEntry> = {};
  for (const [keyId, fields] of Object.entries(keys)) entries[keyId] = await entry(keyId, fields);
  return {
    credential: {
      apiKey: API_KEY,
      accountId: ACCOUNT,
      integrationId: INTEGRATION,
      legacySignatures: true,
      keys: entries,
    },
    uses: [],
    lookups: [],
    usageErrors: [],
    failUseWrites: false,
  };
}

const mac = (keyId: string, content: string) =>
  createHmac('sha256', secretOf(keyId)).update(content).digest('hex');

/** A legacy (body-only) call signed with the named key. */
const legacyCall = (keyId: string, body = 'hello', apiKey = API_KEY) => ({
  apiKey,
  signature: mac(keyId, body),
  body: Buffer.from(body),
  method: 'POST',
  path: '/in',
});

/** A timestamped call signed with the named key, its timestamp `skew` seconds from the clock. */
const timestampedCall = (keyId: string, skew: number) => {
  const timestamp = String(Math.floor(clock.t / 1000) + skew);
  return {
    apiKey: API_KEY,
    signature: mac(keyId, `${timestamp}\nPOST\n/in\nhello`),
    body: Buffer.from('hello'),
    timestamp,
    method: 'POST',
    path: '/in',
  };
};

const KEY_A = 'key_01JQ0000000000000000000001';
const KEY_B = 'key_01JQ0000000000000000000002';
const KEY_C = 'key_01JQ0000000000000000000003';

beforeEach(() => {
  clock.t = T0;
});

describe('which keys verify', () => {
  it('a key verifies until the millisecond before its expiresAt, and from that instant on is expired', async () => {
    const h = await harness({
      [KEY_A]: { status: 'expiring', expiresAt: new Date(T0 + 1000).toISOString() },
    });
    const signing = service(h);
    clock.t = T0 + 999;
    await expect(signing.verify(legacyCall(KEY_A))).resolves.toMatchObject({ valid: true, keyId: KEY_A });
    clock.t = T0 + 1000;
    await expect(signing.verify(legacyCall(KEY_A))).resolves.toEqual({
      valid: false,
      reason: 'key_expired',
      retryable: false,
    });
  });

  it('an entry marked revoked never verifies, even with its signing material present', async () => {
    const h = await harness({ [KEY_A]: { status: 'revoked' } });
    const result = await service(h).verify(legacyCall(KEY_A));
    expect(result.valid).toBe(false);
    expect(h.uses).toEqual([]);
  });

  it('the replay window includes its bound: exactly 300 seconds either way verifies, 301 does not', async () => {
    const h = await harness({ [KEY_A]: {} });
    const signing = service(h);
    for (const skew of [-300, 300]) {
      await expect(signing.verify(timestampedCall(KEY_A, skew))).resolves.toMatchObject({ valid: true });
    }
    for (const skew of [-301, 301]) {
      await expect(signing.verify(timestampedCall(KEY_A, skew))).resolves.toMatchObject({
        valid: false,
        reason: 'stale_timestamp',
      });
    }
  });
});

describe('lastUsedAt', () => {
  it('is written on the first use, not again within the interval, and again once the interval has passed', async () => {
    const h = await harness({ [KEY_A]: {} });
    const signing = service(h);
    await signing.verify(legacyCall(KEY_A));
    clock.t = T0 + 15 * 60_000 - 1;
    await signing.verify(legacyCall(KEY_A));
    expect(h.uses).toEqual([
      {
        keyId: KEY_A,
        at: new Date(T0).toISOString(),
        notBefore: new Date(T0 - 15 * 60_000).toISOString(),
      },
    ]);
    clock.t = T0 + 15 * 60_000;
    await signing.verify(legacyCall(KEY_A));
    expect(h.uses.map((use) => use.at)).toEqual([
      new Date(T0).toISOString(),
      new Date(T0 + 15 * 60_000).toISOString(),
    ]);
  });

  it('a failed write does not fail verification, is reported, and is tried again on the next use', async () => {
    const h = await harness({ [KEY_A]: {} });
    const signing = service(h);
    h.failUseWrites = true;
    await expect(signing.verify(legacyCall(KEY_A))).resolves.toMatchObject({ valid: true });
    expect(h.usageErrors).toHaveLength(1);
    expect((h.usageErrors[0] as Error).message).toBe('ProvisionedThroughputExceededException');
    h.failUseWrites = false;
    await signing.verify(legacyCall(KEY_A));
    expect(h.uses.map((use) => use.keyId)).toEqual([KEY_A]);
  });

  it('remembers at most rememberAtMost keys: at the bound it starts over, below it it throttles every key', async () => {
    const h = await harness({ [KEY_A]: {}, [KEY_B]: {}, [KEY_C]: {} });
    const signing = service(h, { rememberAtMost: 2 });
    await signing.verify(legacyCall(KEY_A));
    await signing.verify(legacyCall(KEY_B));
    await signing.verify(legacyCall(KEY_A)); // two remembered: A is still throttled
    expect(h.uses.map((use) => use.keyId)).toEqual([KEY_A, KEY_B]);
    await signing.verify(legacyCall(KEY_C)); // the third starts the memory over
    await signing.verify(legacyCall(KEY_A));
    expect(h.uses.map((use) => use.keyId)).toEqual([KEY_A, KEY_B, KEY_C, KEY_A]);
  });
});

describe('webhook signatures', () => {
  const verifyV1 = (keyId: string, id: string, timestamp: string, payload: string, v1: string) =>
    v1 ===
    `v1,${createHmac('sha256', secretOf(keyId)).update(`${id}.${timestamp}.${payload}`).digest('base64')}`;

  it('one v1 per usable key, newest key first, none for an expired or revoked key', async () => {
    const h = await harness({
      [KEY_A]: { status: 'expiring', expiresAt: new Date(T0 - 1).toISOString() },
      [KEY_B]: { status: 'expiring', expiresAt: new Date(T0 + 60_000).toISOString() },
      [KEY_C]: {},
      key_01JQ0000000000000000000004: { status: 'revoked' },
    });
    const { headers, keyIds } = await service(h).sign({
      accountId: ACCOUNT,
      integrationId: INTEGRATION,
      payload: '{"n":1}',
    });
    expect(keyIds).toEqual([KEY_C, KEY_B]);
    const signatures = headers['webhook-signature'].split(' ');
    expect(signatures).toHaveLength(2);
    const [newest, older] = signatures as [string, string];
    expect(verifyV1(KEY_C, headers['webhook-id'], headers['webhook-timestamp'], '{"n":1}', newest)).toBe(
      true,
    );
    expect(verifyV1(KEY_B, headers['webhook-id'], headers['webhook-timestamp'], '{"n":1}', older)).toBe(true);
    expect(headers['webhook-id']).toMatch(/^msg_[0-9A-Z]{26}$/);
    expect(headers['webhook-timestamp']).toBe(String(T0 / 1000));
    expect(headers['X-AUTH-CLIENT']).toBe(API_KEY);
  });

  it('newest first whatever order the record lists its keys in', async () => {
    const h = await harness({ [KEY_A]: {}, [KEY_C]: {}, [KEY_B]: {} });
    const { keyIds } = await service(h).sign({
      accountId: ACCOUNT,
      integrationId: INTEGRATION,
      payload: '{}',
    });
    expect(keyIds).toEqual([KEY_C, KEY_B, KEY_A]);
  });

  it('with no usable key: a conflict that says to create one', async () => {
    const h = await harness({ [KEY_A]: { status: 'expiring', expiresAt: new Date(T0).toISOString() } });
    const error = await service(h)
      .sign({ accountId: ACCOUNT, integrationId: INTEGRATION, payload: '{}' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({
      statusCode: 409,
      code: 'no_usable_key',
      message: 'This integration has no active key to sign with; create one first.',
    });
  });

  it('locates an integration once, and remembers at most rememberAtMost of them', async () => {
    const h = await harness({ [KEY_A]: {} });
    const signing = service(h, { rememberAtMost: 2 });
    const [x, y, z] = [
      'int_01JQ00000000000000000000X0',
      'int_01JQ00000000000000000000Y0',
      'int_01JQ00000000000000000000Z0',
    ];
    const sign = (integrationId: string) =>
      signing.sign({ accountId: ACCOUNT, integrationId, payload: '{}' });
    await sign(x);
    await sign(x);
    await sign(y);
    await sign(x); // two remembered: at the bound, not past it
    expect(h.lookups).toEqual([x, y]);
    await sign(z); // the third starts the memory over
    await sign(x);
    expect(h.lookups).toEqual([x, y, z, x]);
  });

  it("another account's integration is not found, and an unknown one neither", async () => {
    const h = await harness({ [KEY_A]: {} });
    const signing = service(h);
    for (const [accountId, integrationId] of [
      ['other', INTEGRATION],
      [ACCOUNT, 'nope'],
    ] as const) {
      await expect(signing.sign({ accountId, integrationId, payload: '{}' })).rejects.toMatchObject({
        statusCode: 404,
      });
    }
  });
});

describe('what a failed verification tells the client', () => {
  /** Each message says what to fix: the header concerned, the form to sign, or what to do next. */
  const SAYS: Record<VerifyFailure, string[]> = {
    missing_headers: ['X-AUTH-CLIENT', 'X-HMAC-SIGNATURE'],
    unknown_client: ['X-AUTH-CLIENT', 'known integration'],
    malformed_signature: ['X-HMAC-SIGNATURE', 'HMAC-SHA256', '64 lowercase hex'],
    malformed_timestamp: ['X-AUTH-TIMESTAMP', 'unix seconds', 'no leading zero'],
    timestamp_required: ['X-AUTH-TIMESTAMP', '"<timestamp>\\n<METHOD>\\n<path?query>\\n<raw body>"'],
    stale_timestamp: ['X-AUTH-TIMESTAMP', '300 seconds', 'fresh timestamp'],
    bad_signature: [
      '"<timestamp>\\n<METHOD>\\n<path?query>\\n<raw body>"',
      'raw body bytes',
      'lowercase hex',
    ],
    reserved_body: ['"msg_"', 'timestamped form'],
    key_expired: ['expired', 'current key'],
    unavailable: ['Retry'],
  };

  it.each(Object.entries(SAYS))('%s', (reason, phrases) => {
    const message = failureMessage(reason as VerifyFailure);
    for (const phrase of phrases) expect(message).toContain(phrase);
  });

  it('only "unavailable" is retryable', async () => {
    const h = await harness({ [KEY_A]: {} });
    const broken = service(h, {
      store: {
        getCredential: async () => {
          throw new Error('boom');
        },
        findIntegration: async () => undefined,
        recordKeyUse: async () => true,
      },
    });
    await expect(broken.verify(legacyCall(KEY_A))).resolves.toEqual({
      valid: false,
      reason: 'unavailable',
      retryable: true,
    });
  });
});

describe('the MAC helpers', () => {
  it('a MAC of another length does not match (and does not throw)', () => {
    const key = Buffer.from('k');
    const payload = Buffer.from('p');
    const full = createHmac('sha256', key).update(payload).digest();
    expect(macMatches(key, payload, full)).toBe(true);
    expect(macMatches(key, payload, full.subarray(0, 16))).toBe(false);
    expect(macMatches(key, payload, Buffer.concat([full, Buffer.alloc(1)]))).toBe(false);
  });

  it('a fingerprint is the HMAC of the fixed v1 label under the secret (stored fingerprints depend on it)', () => {
    const secret = 'ssk_example';
    expect(fingerprint(secret)).toBe(
      createHmac('sha256', secret).update('shared-secret-keys/fingerprint/v1').digest('hex'),
    );
    expect(fingerprint(Buffer.from(secret))).toBe(fingerprint(secret));
  });
});
