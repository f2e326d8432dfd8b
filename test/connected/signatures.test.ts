import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { CredentialCache, invalidatingStore } from '../../shared/domain/credential-cache.js';
import { SigningKeyCache } from '../../shared/domain/key-cache.js';
import type { Integration } from '../../shared/domain/model.js';
import * as service from '../../shared/domain/service.js';
import { createSigningService, type SigningService } from '../../shared/domain/signing-service.js';
import { callsDuring } from '../support/aws-calls.js';
import { actor, connectedEngines } from '../support/engines.js';

let engines: Awaited<ReturnType<typeof connectedEngines>>;
const clock = { t: Date.parse('2026-12-01T12:00:00Z'), now: () => new Date(clock.t) };
let signing: SigningService;
let cache: SigningKeyCache;
const alice = actor('acme', 'alice');

beforeAll(async () => {
  engines = await connectedEngines();
});
afterAll(() => engines.close());
beforeEach(() => {
  clock.t = Date.parse('2026-12-01T12:00:00Z');
  cache = new SigningKeyCache(clock, 5 * 60_000, 100);
  const deps = { ...engines.deps, clock };
  // No credential reuse here: these tests see each change on the very next call (the cache has its own).
  signing = createSigningService({
    ...deps,
    cache,
    credentials: new CredentialCache(clock, 0),
    lastUsedIntervalMs: 15 * 60_000,
  });
  engines.kms.setFault('none');
});

/** Computed here with node:crypto, independently of the project's signing code. */
const sign = (secret: string, payload: string) =>
  createHmac('sha256', Buffer.from(secret, 'utf8')).update(payload).digest('hex');
/** The timestamped form, as the README tells an integration to compute it. */
const signTs = (secret: string, ts: string, body: string, method = 'POST', path = '/in') =>
  sign(secret, `${ts}\n${method}\n${path}\n${body}`);

/** Most tests here exercise the rule with the legacy (body-only) form, so they opt in to it. */
async function integrationWithSecret(options: { legacySignatures?: boolean } = { legacySignatures: true }) {
  const deps = { ...engines.deps, clock };
  const { integration, key } = await service.createIntegration(deps, alice, { name: 'Signed', ...options });
  const { secret } = await service.revealKey(deps, alice, integration.id, key.id);
  return { integration, keyId: key.id, secret, deps };
}

function verify(
  integration: Pick<Integration, 'apiKey'>,
  body: string,
  signature: string,
  timestamp?: string,
) {
  return signing.verify({
    apiKey: integration.apiKey,
    signature,
    body: Buffer.from(body),
    timestamp,
    method: 'POST',
    path: '/in',
  });
}

describe('verification', () => {
  it('accepts a signature made with node:crypto, plain and timestamped', async () => {
    const { integration, keyId, secret } = await integrationWithSecret();
    const body = JSON.stringify({ event: 'ping', n: 1 });
    await expect(verify(integration, body, sign(secret, body))).resolves.toMatchObject({
      valid: true,
      keyId,
      accountId: 'acme',
    });
    const ts = String(Math.floor(clock.t / 1000));
    await expect(verify(integration, body, signTs(secret, ts, body), ts)).resolves.toMatchObject({
      valid: true,
    });
  });

  it('accepts a signature made with openssl', async () => {
    const { integration, secret } = await integrationWithSecret();
    const body = '{"amount":42,"currency":"EUR"}';
    const output = execFileSync('openssl', ['dgst', '-sha256', '-hmac', secret], { input: body }).toString();
    const hex = output.trim().split(/\s+/).pop() ?? '';
    expect(hex).toMatch(/^[0-9a-f]{64}$/);
    await expect(verify(integration, body, hex)).resolves.toMatchObject({ valid: true });
  });

  it('verifies over raw bytes, not a re-serialisation', async () => {
    const { integration, secret } = await integrationWithSecret();
    const body = '{ "b": 1,  "a": "ü" }';
    await expect(verify(integration, body, sign(secret, body))).resolves.toMatchObject({ valid: true });
    await expect(
      verify(integration, JSON.stringify(JSON.parse(body)), sign(secret, body)),
    ).resolves.toMatchObject({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('rejects a flipped bit, a wrong client, malformed input and missing headers with the right reason', async () => {
    const { integration, secret } = await integrationWithSecret();
    const body = 'hello';
    const good = sign(secret, body);
    const flipped = (Number.parseInt(good[0] ?? '0', 16) ^ 1).toString(16) + good.slice(1);
    await expect(verify(integration, body, flipped)).resolves.toEqual({
      valid: false,
      reason: 'bad_signature',
      retryable: false,
    });
    await expect(verify({ apiKey: 'ak_0000000000000000000000' }, body, good)).resolves.toMatchObject({
      reason: 'unknown_client',
    });
    await expect(verify(integration, body, 'xyz')).resolves.toMatchObject({ reason: 'malformed_signature' });
    await expect(verify({ apiKey: "nope' OR 1=1" }, body, good)).resolves.toMatchObject({
      reason: 'unknown_client',
    });
    await expect(
      signing.verify({
        apiKey: undefined,
        signature: good,
        body: Buffer.from(body),
        method: 'POST',
        path: '/in',
      }),
    ).resolves.toMatchObject({
      reason: 'missing_headers',
    });
    await expect(verify(integration, body, signTs(secret, 'abc', body), 'abc')).resolves.toMatchObject({
      reason: 'malformed_timestamp',
    });
  });

  it('rejects a stale or future timestamp outside 300 s, accepts one inside', async () => {
    const { integration, secret } = await integrationWithSecret();
    const now = Math.floor(clock.t / 1000);
    for (const offset of [-301, 301, -86_400]) {
      const ts = String(now + offset);
      await expect(verify(integration, 'b', signTs(secret, ts, 'b'), ts)).resolves.toMatchObject({
        reason: 'stale_timestamp',
      });
    }
    for (const offset of [-299, 299]) {
      const ts = String(now + offset);
      await expect(verify(integration, 'b', signTs(secret, ts, 'b'), ts)).resolves.toMatchObject({
        valid: true,
      });
    }
  });

  it('timestamps are digits without a leading zero, and signatures lowercase hex of 64', async () => {
    const { integration, secret } = await integrationWithSecret();
    const ts = String(Math.floor(clock.t / 1000));
    for (const bad of [`0${ts}`, `+${ts}`, `${ts}.0`, ` ${ts}`, '']) {
      await expect(verify(integration, 'b', signTs(secret, bad, 'b'), bad)).resolves.toMatchObject({
        reason: 'malformed_timestamp',
      });
    }
    const good = signTs(secret, ts, 'b');
    for (const bad of [good.toUpperCase(), `${good}0`, good.slice(1)]) {
      await expect(verify(integration, 'b', bad, ts)).resolves.toMatchObject({
        reason: 'malformed_signature',
      });
    }
    await expect(verify(integration, 'b', good, ts)).resolves.toMatchObject({ valid: true });
  });

  it('the timestamped signature binds the method and the path (with query)', async () => {
    const { integration, secret } = await integrationWithSecret({});
    const ts = String(Math.floor(clock.t / 1000));
    const at = (method: string, path: string) =>
      signing.verify({
        apiKey: integration.apiKey,
        signature: signTs(secret, ts, 'b', 'POST', '/a?x=1'),
        body: Buffer.from('b'),
        timestamp: ts,
        method,
        path,
      });
    await expect(at('POST', '/a?x=1')).resolves.toMatchObject({ valid: true });
    for (const [method, path] of [
      ['POST', '/b?x=1'],
      ['POST', '/a?x=2'],
      ['POST', '/a'],
      ['PUT', '/a?x=1'],
    ] as const) {
      await expect(at(method, path)).resolves.toMatchObject({ valid: false, reason: 'bad_signature' });
    }
  });

  it('a new integration requires the timestamped form: the body-only form is an opt-in', async () => {
    const { integration, secret } = await integrationWithSecret({});
    expect(integration.legacySignatures).toBe(false);
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({
      reason: 'timestamp_required',
    });
    const ts = String(Math.floor(clock.t / 1000));
    await expect(verify(integration, 'b', signTs(secret, ts, 'b'), ts)).resolves.toMatchObject({
      valid: true,
    });
    // Opting in, audited, takes effect on the next verification.
    await service.updateIntegration({ ...engines.deps, clock }, alice, integration.id, {
      legacySignatures: true,
    });
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({ valid: true });
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 10 });
    expect(audit.items[0]).toMatchObject({
      action: 'integration.updated',
      details: { legacySignatures: true },
    });
  });

  it('a revoked key is rejected on the very next request, even with a warm cache', async () => {
    const { integration, keyId, secret, deps } = await integrationWithSecret();
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({ valid: true });
    await service.revokeKey(deps, alice, integration.id, keyId);
    // Nothing decryptable is kept of a revoked key, so its signatures are simply not recognised.
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({
      valid: false,
      reason: 'bad_signature',
    });
  });

  it('after rotation both keys verify during the overlap; after expiresAt the old one is expired', async () => {
    const { integration, keyId, secret, deps } = await integrationWithSecret();
    const rotated = await service.rotateKey(deps, alice, integration.id, keyId, { overlapSeconds: 3600 });
    expect(rotated.previous).toMatchObject({ status: 'expiring', expiresAt: '2026-12-01T13:00:00.000Z' });
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({ valid: true, keyId });
    await expect(verify(integration, 'b', sign(rotated.secret, 'b'))).resolves.toMatchObject({
      valid: true,
      keyId: rotated.key.id,
    });
    clock.t += 3600 * 1000 + 1;
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({
      valid: false,
      reason: 'key_expired',
    });
    await expect(verify(integration, 'b', sign(rotated.secret, 'b'))).resolves.toMatchObject({ valid: true });
    await expect(service.rotateKey(deps, alice, integration.id, keyId, {})).rejects.toMatchObject({
      code: 'key_not_active',
    });
  });

  it('a key that is no longer viewable still verifies and still signs', async () => {
    const { integration, keyId, secret, deps } = await integrationWithSecret();
    const [view] = await service.listKeys(deps, alice, integration.id);
    expect(view).toMatchObject({ id: keyId, viewable: false });
    await expect(verify(integration, 'x', sign(secret, 'x'))).resolves.toMatchObject({ valid: true });
    const { headers } = await signing.sign({
      accountId: 'acme',
      integrationId: integration.id,
      payload: 'x',
    });
    const expected = createHmac('sha256', secret)
      .update(`${headers['webhook-id']}.${headers['webhook-timestamp']}.x`)
      .digest('base64');
    expect(headers['webhook-signature']).toBe(`v1,${expected}`);
  });

  it('KMS down on a cold cache rejects with a retryable reason, never valid', async () => {
    const { integration, secret } = await integrationWithSecret();
    engines.kms.setFault('unavailable', ['Decrypt']);
    for (let i = 0; i < 3; i++) {
      await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toEqual({
        valid: false,
        reason: 'unavailable',
        retryable: true,
      });
    }
    engines.kms.setFault('none');
    await expect(verify(integration, 'b', sign(secret, 'b'))).resolves.toMatchObject({ valid: true });
  });

  it('1,000 verifications of one key cost at most one KMS Decrypt', async () => {
    const { integration, secret } = await integrationWithSecret();
    engines.kms.resetStats();
    const body = '{"id":1}';
    const signature = sign(secret, body);
    const results = await Promise.all(
      Array.from({ length: 200 }, () => verify(integration, body, signature)),
    );
    for (let i = 0; i < 800; i++) results.push(await verify(integration, body, signature));
    // On a loaded machine a read may time out: that answer is "unavailable, retry" (fail closed), and
    // the retry must verify. Nothing else but valid is acceptable.
    const unavailable = results.filter((r) => !r.valid && r.reason === 'unavailable').length;
    for (let i = 0; i < unavailable; i++) results.push(await verify(integration, body, signature));
    expect(results.filter((r) => !r.valid && r.reason !== 'unavailable')).toEqual([]);
    expect(results.filter((r) => r.valid).length).toBe(1000);
    expect(engines.kms.stats().Decrypt ?? 0).toBeLessThanOrEqual(1);
    // After the cache period the key is decrypted again, once.
    clock.t += 5 * 60_000 + 1;
    await verify(integration, body, signature);
    expect(engines.kms.stats().Decrypt).toBe(2);
  });

  it('writes lastUsedAt at most once per key per 15 minutes, even across containers', async () => {
    const { integration, keyId, secret, deps } = await integrationWithSecret();
    const lastUsed = async () =>
      (await service.listKeys(deps, alice, integration.id)).find((k) => k.id === keyId)?.lastUsedAt;
    expect(await lastUsed()).toBeNull();
    await verify(integration, 'b', sign(secret, 'b'));
    expect(await lastUsed()).toBe('2026-12-01T12:00:00.000Z');
    clock.t += 60_000;
    await verify(integration, 'b', sign(secret, 'b'));
    // A second container (its own memory) is held back by the conditional update.
    const other = createSigningService({
      ...engines.deps,
      clock,
      cache: new SigningKeyCache(clock, 60_000, 10),
      credentials: new CredentialCache(clock, 0),
      lastUsedIntervalMs: 15 * 60_000,
    });
    await other.verify({
      apiKey: integration.apiKey,
      signature: sign(secret, 'b'),
      body: Buffer.from('b'),
      method: 'POST',
      path: '/in',
    });
    expect(await lastUsed()).toBe('2026-12-01T12:00:00.000Z');
    clock.t += 15 * 60_000;
    await verify(integration, 'b', sign(secret, 'b'));
    expect(await lastUsed()).toBe('2026-12-01T12:16:00.000Z');
  });
});

describe('credential cache (bounded staleness, one read in flight)', () => {
  /** A container: its own signing service, caches and (when `invalidating`) its own store view. */
  function container(invalidating = false) {
    const credentials = new CredentialCache(clock, 1_000);
    const store = invalidating ? invalidatingStore(engines.store, credentials) : engines.store;
    return {
      store,
      signing: createSigningService({
        store,
        envelope: engines.envelope,
        clock,
        cache: new SigningKeyCache(clock, 5 * 60_000, 10),
        credentials,
        lastUsedIntervalMs: 15 * 60_000,
      }),
    };
  }
  const check = (c: ReturnType<typeof container>, apiKey: string, secret: string) =>
    c.signing.verify({
      apiKey,
      signature: sign(secret, 'x'),
      body: Buffer.from('x'),
      method: 'POST',
      path: '/in',
    });

  it('a revoke made elsewhere is seen by every container within the bound, and at once by its own', async () => {
    const { integration, keyId, secret } = await integrationWithSecret();
    const [a, b] = [container(), container()];
    const revoker = container(true);
    for (const c of [a, b, revoker]) {
      expect(await check(c, integration.apiKey, secret)).toMatchObject({ valid: true });
    }
    await service.revokeKey({ ...engines.deps, store: revoker.store, clock }, alice, integration.id, keyId);
    // The revoking container dropped its copy; the others still hold theirs, for at most 1 s.
    expect(await check(revoker, integration.apiKey, secret)).toMatchObject({ reason: 'bad_signature' });
    clock.t += 999;
    expect(await check(a, integration.apiKey, secret)).toMatchObject({ valid: true });
    clock.t += 1;
    for (const c of [a, b]) {
      expect(await check(c, integration.apiKey, secret)).toMatchObject({
        valid: false,
        reason: 'bad_signature',
      });
    }
  });

  it('concurrent verifications of one apiKey in a container issue one read', async () => {
    const { integration, secret } = await integrationWithSecret();
    const c = container();
    const { calls, result } = await callsDuring({ dynamodb: engines.client }, () =>
      Promise.all(Array.from({ length: 25 }, () => check(c, integration.apiKey, secret))),
    );
    expect(result.every((r) => r.valid)).toBe(true);
    expect(calls.filter((call) => call.operation === 'GetItem')).toHaveLength(1);
  });
});

describe('domain separation: no signature the service produces is accepted by its verifier', () => {
  it('every header sign-webhook returns, replayed in every inbound form, is rejected', async () => {
    for (const legacySignatures of [false, true]) {
      const { integration, secret } = await integrationWithSecret({ legacySignatures });
      const payload = JSON.stringify({ type: 'verification.completed' });
      const { headers } = await signing.sign({ accountId: 'acme', integrationId: integration.id, payload });
      const id = headers['webhook-id'];
      const ts = headers['webhook-timestamp'];
      // Every MAC the service computed, as hex (the inbound encoding).
      const macs = headers['webhook-signature']
        .split(' ')
        .map((entry) => Buffer.from(entry.slice(3), 'base64').toString('hex'));
      expect(macs).toHaveLength(1);
      const content = `${id}.${ts}.${payload}`;
      for (const mac of macs) {
        // The service's own MAC is indeed the one a receiver checks (this test would pass vacuously otherwise).
        expect(mac).toBe(sign(secret, content));
        for (const [body, timestamp] of [
          [payload, undefined],
          [content, undefined],
          [payload, ts],
          [content, ts],
          [`${ts}.${payload}`, undefined],
        ] as const) {
          for (const path of ['/in', '/v1/signature-check']) {
            const result = await signing.verify({
              apiKey: headers['X-AUTH-CLIENT'],
              signature: mac,
              body: Buffer.from(body),
              timestamp,
              method: 'POST',
              path,
            });
            expect(result.valid).toBe(false);
          }
        }
      }
    }
  });
});

describe('webhook signing', () => {
  it('the standardwebhooks library verifies the headers as they are, with every usable key during a rotation', async () => {
    const { integration, keyId, secret, deps } = await integrationWithSecret();
    clock.t = Date.now();
    const rotated = await service.rotateKey({ ...deps, clock }, alice, integration.id, keyId, {
      overlapSeconds: 600,
    });
    const payload = JSON.stringify({ type: 'verification.completed', id: 'abc' });
    const { headers, keyIds } = await signing.sign({
      accountId: 'acme',
      integrationId: integration.id,
      payload,
      id: 'msg_1',
    });
    expect(keyIds).toEqual([rotated.key.id, keyId]);
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    for (const receiverSecret of [secret, rotated.secret]) {
      const receiver = new Webhook(receiverSecret, { format: 'raw' });
      expect(receiver.verify(payload, headers)).toEqual(JSON.parse(payload));
    }
    expect(() => new Webhook('ssk_wrong', { format: 'raw' }).verify(payload, headers)).toThrow();
  });

  it('refuses to sign for an unknown integration or one with no usable key', async () => {
    await expect(
      signing.sign({ accountId: 'acme', integrationId: 'int_01M8STXNSD0WK015E9HDB2KRD3', payload: 'x' }),
    ).rejects.toMatchObject({
      statusCode: 404,
    });
    const { integration, keyId, deps } = await integrationWithSecret();
    // Another tenant's integration is not found either: sign-webhook signs only for the caller's account.
    await expect(
      signing.sign({ accountId: 'evil', integrationId: integration.id, payload: 'x' }),
    ).rejects.toMatchObject({ statusCode: 404, code: 'integration_not_found' });
    await service.revokeKey(deps, alice, integration.id, keyId);
    await expect(
      signing.sign({ accountId: 'acme', integrationId: integration.id, payload: 'x' }),
    ).rejects.toMatchObject({
      code: 'no_usable_key',
    });
  });
});
