import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { NotFoundError, RateLimitedError } from '../../shared/domain/errors.js';
import {
  DEFAULT_LEAK_POLICY,
  handleLeakReports,
  identifyKey,
  leakSettings,
  toLeakSettingsView,
  updateLeakSettings,
} from '../../shared/domain/leaks.js';
import type { KeyRecord } from '../../shared/domain/model.js';
import { RateLimiter } from '../../shared/domain/rate-limiter.js';
import { generateSecret } from '../../shared/domain/secret.js';
import { fingerprint } from '../../shared/domain/signature.js';
import { actor } from '../support/engines.js';
import {
  AT,
  alice,
  clock,
  day,
  deps,
  INTEGRATION,
  key,
  onlyCall,
  recordingStore,
  viewer,
} from '../support/recording-store.js';

/**
 * The leak paths' decisions, with a recording store: what "which key is this?" answers and refuses,
 * and what a secret-scanning report does under each leak policy. The routes, with the report's
 * signature and DynamoDB Local behind them, are in test/e2e/leaks.test.ts.
 */
const secret = generateSecret();
const leaked = (fields: Partial<KeyRecord> = {}) => key({ fingerprint: fingerprint(secret), ...fields });
const limiter = (burst = 5) => new RateLimiter(clock, 1, burst);

describe('which key is this secret?', () => {
  it("answers the account's key, without its secret, and audits the question", async () => {
    const store = recordingStore([leaked()]);
    const answer = await identifyKey({ ...deps(store), limiter: limiter() }, alice, { secret });
    expect(answer).toStrictEqual({
      id: leaked().id,
      integrationId: INTEGRATION.id,
      name: 'Primary',
      status: 'active',
      createdAt: leaked().createdAt,
    });
    expect(store.findKeyByFingerprint).toHaveBeenCalledWith(fingerprint(secret));
    const [{ key: identified, audit }] = onlyCall(store.recordKeyEvent);
    expect(identified.id).toBe(leaked().id);
    expect(audit).toMatchObject({
      action: 'key.identified',
      keyId: leaked().id,
      details: { name: 'Primary' },
    });
  });

  it.each([
    ['expired at this instant', { expiresAt: AT.toISOString() }, 'expired'],
    ['expiring later', { status: 'expiring' as const, expiresAt: day(1) }, 'expiring'],
    ['revoked, its expiry passed', { status: 'revoked' as const, expiresAt: day(-1) }, 'revoked'],
  ])('a key %s is reported %s', async (_, fields, status) => {
    const store = recordingStore([leaked(fields)]);
    await expect(
      identifyKey({ ...deps(store), limiter: limiter() }, alice, { secret }),
    ).resolves.toMatchObject({
      status,
    });
  });

  it.each([
    ['a malformed secret', 'ssk_not-one-of-ours', undefined],
    ['an unknown secret', generateSecret(), undefined],
    ['another integration named', secret, 'int_01M8STXNSD0WK015E9HDB2KRD4'],
  ])('%s: the same 404, and nothing audited', async (_, candidate, integrationId) => {
    const store = recordingStore([leaked()]);
    const asked = identifyKey({ ...deps(store), limiter: limiter() }, alice, {
      secret: candidate,
      ...(integrationId ? { integrationId } : {}),
    });
    await expect(asked).rejects.toBeInstanceOf(NotFoundError);
    await expect(asked).rejects.toMatchObject({
      code: 'key_not_found',
      message: 'No key with id for this secret exists in your account.',
    });
    expect(store.recordKeyEvent).not.toHaveBeenCalled();
  });

  it('a malformed secret is not even looked up', async () => {
    const store = recordingStore([leaked()]);
    await expect(
      identifyKey({ ...deps(store), limiter: limiter() }, alice, { secret: `${secret}x` }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(store.findKeyByFingerprint).not.toHaveBeenCalled();
  });

  it("another account's key is not found", async () => {
    const store = recordingStore([leaked()]);
    await expect(
      identifyKey({ ...deps(store), limiter: limiter() }, actor('globex', 'gina'), { secret }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it('the named integration narrows the answer, and its own key is found', async () => {
    const store = recordingStore([leaked()]);
    await expect(
      identifyKey({ ...deps(store), limiter: limiter() }, alice, { secret, integrationId: INTEGRATION.id }),
    ).resolves.toMatchObject({ id: leaked().id });
  });

  it('is for admins, and limited per user: past the burst, 429 with when to retry, before any lookup', async () => {
    const store = recordingStore([leaked()]);
    await expect(
      identifyKey({ ...deps(store), limiter: limiter() }, viewer, { secret }),
    ).rejects.toMatchObject({
      statusCode: 403,
    });
    const one = limiter(1);
    await identifyKey({ ...deps(store), limiter: one }, alice, { secret });
    const refused = identifyKey({ ...deps(store), limiter: one }, alice, { secret });
    await expect(refused).rejects.toBeInstanceOf(RateLimitedError);
    await expect(refused).rejects.toMatchObject({ statusCode: 429 });
    expect(store.findKeyByFingerprint).toHaveBeenCalledTimes(1);
    // Per user: another admin of the account still has a token.
    await expect(
      identifyKey({ ...deps(store), limiter: one }, actor('acme', 'bob'), { secret }),
    ).resolves.toBeDefined();
  });
});

describe('a secret-scanning report', () => {
  const report = (token: string, extra: { url?: string; source?: string } = {}) => ({
    token,
    type: 'shared_secret_key',
    ...extra,
  });
  const hash = (token: string) => createHash('sha256').update(Buffer.from(token, 'utf8')).digest('hex');

  it('tells GitHub, per token, its hash, type and whether it is ours; never the token', async () => {
    const store = recordingStore([leaked()]);
    const other = generateSecret();
    const feedback = await handleLeakReports(deps(store), [report(secret), report(other)], 'req-1');
    expect(feedback).toStrictEqual([
      { token_hash: hash(secret), token_type: 'shared_secret_key', label: 'true_positive' },
      { token_hash: hash(other), token_type: 'shared_secret_key', label: 'false_positive' },
    ]);
    expect(JSON.stringify(feedback)).not.toContain(secret);
  });

  it('under the default policy (revoke): the exposure is audited with the report, then the key revoked', async () => {
    expect(DEFAULT_LEAK_POLICY).toBe('revoke');
    const store = recordingStore([leaked()]);
    await handleLeakReports(
      deps(store),
      [report(secret, { url: 'https://github.com/acme/app/blob/main/.env', source: 'content' })],
      'req-1',
    );
    const [{ audit }] = onlyCall(store.recordKeyEvent);
    expect(audit).toMatchObject({
      action: 'key.exposed',
      actor: 'secret-scanning',
      sourceIp: 'secret-scanning',
      requestId: 'req-1',
    });
    expect(audit.details).toStrictEqual({
      name: 'Primary',
      policy: 'revoke',
      url: 'https://github.com/acme/app/blob/main/.env',
      source: 'content',
    });
    const [revocation] = onlyCall(store.revokeKey);
    expect(revocation).toMatchObject({ revokedBy: 'secret-scanning', key: { id: leaked().id } });
    expect(store.rotateKey).not.toHaveBeenCalled();
  });

  it('a long url and source are cut to 2048 and 64 characters; absent ones are not recorded', async () => {
    const store = recordingStore([leaked()]);
    await handleLeakReports(
      deps(store),
      [report(secret, { url: `https://x/${'u'.repeat(3000)}`, source: 's'.repeat(100) })],
      'r',
    );
    const [{ audit }] = onlyCall(store.recordKeyEvent);
    expect(audit.details).toMatchObject({
      url: `https://x/${'u'.repeat(2038)}`,
      source: 's'.repeat(64),
    });

    const bare = recordingStore([leaked()]);
    await handleLeakReports(deps(bare), [report(secret)], 'r');
    expect(onlyCall(bare.recordKeyEvent)[0].audit.details).toStrictEqual({
      name: 'Primary',
      policy: 'revoke',
    });
  });

  it('notify: the audit event alone', async () => {
    const store = recordingStore([leaked()]);
    store.getLeakPolicy.mockResolvedValue({ policy: 'notify' });
    await handleLeakReports(deps(store), [report(secret)], 'r');
    expect(onlyCall(store.recordKeyEvent)[0].audit.details).toMatchObject({ policy: 'notify' });
    expect(store.getLeakPolicy).toHaveBeenCalledWith('acme');
    expect(store.revokeKey).not.toHaveBeenCalled();
    expect(store.rotateKey).not.toHaveBeenCalled();
  });

  it('rotate: an auto-generated successor for an active key; an expiring one is not rotated again', async () => {
    const store = recordingStore([leaked()]);
    store.getLeakPolicy.mockResolvedValue({ policy: 'rotate' });
    await handleLeakReports(deps(store), [report(secret)], 'r');
    const [rotation] = onlyCall(store.rotateKey);
    expect(rotation.previous.id).toBe(leaked().id);
    expect(rotation.successor.key.origin).toBe('auto-generated');
    expect(rotation.successor.key.displayCiphertext).toEqual(expect.any(String));
    expect(store.revokeKey).not.toHaveBeenCalled();

    const expiring = recordingStore([leaked({ status: 'expiring', expiresAt: day(1) })]);
    expiring.getLeakPolicy.mockResolvedValue({ policy: 'rotate' });
    await handleLeakReports(deps(expiring), [report(secret)], 'r');
    expect(expiring.recordKeyEvent).toHaveBeenCalledTimes(1);
    expect(expiring.rotateKey).not.toHaveBeenCalled();
  });

  it('a revoked key is a true positive that costs no write', async () => {
    const store = recordingStore([leaked({ status: 'revoked' })]);
    const [feedback] = await handleLeakReports(deps(store), [report(secret)], 'r');
    expect(feedback?.label).toBe('true_positive');
    expect(store.recordKeyEvent).not.toHaveBeenCalled();
    expect(store.getLeakPolicy).not.toHaveBeenCalled();
  });
});

describe('leak policy settings', () => {
  it('an account that set none has the default, shown without who or when', async () => {
    const store = recordingStore();
    const settings = await leakSettings(deps(store), alice);
    expect(settings).toStrictEqual({ policy: 'revoke' });
    expect(toLeakSettingsView(settings)).toStrictEqual({
      policy: 'revoke',
      updatedAt: null,
      updatedBy: null,
    });
  });

  it('an update is stored with who and when, audited with the policy, and admins only', async () => {
    const store = recordingStore();
    const settings = await updateLeakSettings(deps(store), alice, { policy: 'notify' });
    expect(settings).toStrictEqual({ policy: 'notify', updatedAt: AT.toISOString(), updatedBy: 'alice' });
    const [write] = onlyCall(store.putLeakPolicy);
    expect(write.accountId).toBe('acme');
    expect(write.settings).toStrictEqual(settings);
    expect(write.audit).toMatchObject({ action: 'settings.leaks_updated', details: { policy: 'notify' } });
    expect(toLeakSettingsView(settings)).toStrictEqual(settings);
    await expect(updateLeakSettings(deps(store), viewer, { policy: 'rotate' })).rejects.toMatchObject({
      statusCode: 403,
    });
  });
});
