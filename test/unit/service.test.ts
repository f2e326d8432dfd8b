import { describe, expect, it } from 'vitest';
import { ConflictError, KeyNoLongerViewableError } from '../../shared/domain/errors.js';
import { DEFAULT_OVERLAP_SECONDS, type KeyRecord } from '../../shared/domain/model.js';
import * as service from '../../shared/domain/service.js';
import {
  AT,
  alice,
  day,
  deps,
  INTEGRATION,
  key,
  onlyCall,
  type RecordingStore,
  recordingEnvelope,
  recordingStore,
  viewer,
} from '../support/recording-store.js';

/**
 * What the domain service asks its store to write, and what it refuses before writing: the expiry a
 * key is created with, the audit details of each change, the rotation overlap's end, the key-cap retry,
 * the reveal's order and its zeroed plaintext, the policy reindex. The store here records calls and
 * holds one integration; the same flows against DynamoDB Local and the KMS stand-in, with the store's
 * conditions and transactions, are in test/connected/store.test.ts.
 */

describe('a new key', () => {
  it('created with expiresInDays: the key, its signing entry and its audit event all carry that expiry', async () => {
    const store = recordingStore();
    const { key: view } = await service.createKey(deps(store), alice, INTEGRATION.id, {
      name: 'Primary',
      expiresInDays: 7,
    });
    const write = onlyCall(store.addKey)[0];
    expect(write.key.expiresAt).toBe(day(7));
    expect(write.signing.expiresAt).toBe(day(7));
    expect(write.audit.details).toStrictEqual({ name: 'Primary', expiresAt: day(7) });
    expect(view.expiresAt).toBe(day(7));
  });

  it('created without one: no expiry anywhere (not even an undefined member), and no display copy', async () => {
    const store = recordingStore();
    const { envelope } = recordingEnvelope();
    await service.createKey(deps(store, envelope), alice, INTEGRATION.id, { name: 'Primary' });
    const write = onlyCall(store.addKey)[0];
    expect(Object.keys(write.key)).not.toContain('expiresAt');
    expect(Object.keys(write.signing)).not.toContain('expiresAt');
    expect(write.audit.details).toStrictEqual({ name: 'Primary' });
    // A created key's secret is in the response; nothing is sealed for a later reveal.
    expect(Object.keys(write.key)).not.toContain('displayCiphertext');
    expect(envelope.seal.mock.calls.map(([, context]) => context.purpose)).toEqual(['signing']);
  });

  it("a new integration's first key is named, sealed twice (signing and display) and waits for its reveal", async () => {
    const store = recordingStore();
    const { envelope } = recordingEnvelope();
    await service.createIntegration(deps(store, envelope), alice, { name: 'Backend' });
    const { firstKey } = onlyCall(store.createIntegration)[0];
    expect(firstKey.key.name).toBe('Auto-generated key');
    expect(firstKey.key.origin).toBe('auto-generated');
    expect(envelope.seal.mock.calls.map(([, context]) => context.purpose).sort()).toEqual([
      'display',
      'signing',
    ]);
    expect(firstKey.key.displayCiphertext).toEqual(expect.any(String));
  });

  it("a new integration's audit event names it and its signature policy (replay protection by default)", async () => {
    const store = recordingStore();
    await service.createIntegration(deps(store), alice, { name: 'Backend' });
    const [{ integration, audit }] = onlyCall(store.createIntegration);
    expect(integration.legacySignatures).toBe(false);
    expect(audit).toMatchObject({ action: 'integration.created', integrationId: integration.id });
    expect(audit.details).toStrictEqual({ name: 'Backend', legacySignatures: false });
  });
});

describe('the key cap', () => {
  const tooMany = () => new ConflictError('too_many_keys', 'At most 10 usable keys.');

  it('at the cap, expired entries are pruned and the write tried once more', async () => {
    const store = recordingStore();
    store.addKey.mockRejectedValueOnce(tooMany());
    store.pruneExpired.mockResolvedValueOnce(2);
    await service.createKey(deps(store), alice, INTEGRATION.id, { name: 'Primary' });
    expect(store.pruneExpired).toHaveBeenCalledWith(INTEGRATION.apiKey, 'acme', AT.toISOString());
    expect(store.addKey).toHaveBeenCalledTimes(2);
  });

  it('at the cap with nothing expired to prune: the conflict, and no second write', async () => {
    const store = recordingStore();
    store.addKey.mockRejectedValueOnce(tooMany());
    await expect(
      service.createKey(deps(store), alice, INTEGRATION.id, { name: 'Primary' }),
    ).rejects.toMatchObject({
      code: 'too_many_keys',
    });
    expect(store.addKey).toHaveBeenCalledTimes(1);
  });

  it.each([
    ['another conflict', new ConflictError('key_not_active', 'no')],
    ['a failure that is no conflict', new Error('ProvisionedThroughputExceededException')],
  ])('%s is passed on as it is, without pruning', async (_, error) => {
    const store = recordingStore();
    store.addKey.mockRejectedValueOnce(error);
    await expect(service.createKey(deps(store), alice, INTEGRATION.id, { name: 'Primary' })).rejects.toBe(
      error,
    );
    expect(store.pruneExpired).not.toHaveBeenCalled();
    expect(store.addKey).toHaveBeenCalledTimes(1);
  });
});

describe('reveal', () => {
  const sealedDisplay = (k: KeyRecord) =>
    JSON.stringify({
      plaintext: 'ssk_the-secret',
      context: { account: k.accountId, integration: k.integrationId, key: k.id, purpose: 'display' },
    });

  it('returns the secret and zeroes the decrypted buffer it came from', async () => {
    const unrevealed = key({ origin: 'auto-generated' });
    unrevealed.displayCiphertext = sealedDisplay(unrevealed);
    const store = recordingStore([unrevealed]);
    const { envelope, opened } = recordingEnvelope();
    const { secret } = await service.revealKey(deps(store, envelope), alice, INTEGRATION.id, unrevealed.id);
    expect(secret).toBe('ssk_the-secret');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.every((byte) => byte === 0)).toBe(true);
  });

  it('a lost commit zeroes the buffer too', async () => {
    const unrevealed = key({ origin: 'auto-generated' });
    unrevealed.displayCiphertext = sealedDisplay(unrevealed);
    const store = recordingStore([unrevealed]);
    store.commitReveal.mockResolvedValueOnce({
      status: 'not-viewable',
      key: { ...unrevealed, viewedAt: AT.toISOString(), viewedBy: 'bob' },
    });
    const { envelope, opened } = recordingEnvelope();
    await expect(
      service.revealKey(deps(store, envelope), alice, INTEGRATION.id, unrevealed.id),
    ).rejects.toMatchObject({ details: { reason: 'viewed', viewedBy: 'bob' } });
    expect(opened[0]?.every((byte) => byte === 0)).toBe(true);
  });

  it.each([
    [
      'viewed',
      key({ origin: 'auto-generated', viewedAt: day(-1), viewedBy: 'bob' }),
      { reason: 'viewed', viewedBy: 'bob' },
    ],
    ['created with its secret in the response', key(), { reason: 'created' }],
    [
      'revoked (its display copy still stored)',
      key({ status: 'revoked', displayCiphertext: 'sealed' }),
      { reason: 'revoked' },
    ],
  ])('a key %s: 410 before anything is decrypted or written', async (_, k, details) => {
    const store = recordingStore([k]);
    const { envelope } = recordingEnvelope();
    const refused = service.revealKey(deps(store, envelope), alice, INTEGRATION.id, k.id);
    await expect(refused).rejects.toBeInstanceOf(KeyNoLongerViewableError);
    await expect(refused).rejects.toMatchObject({ details });
    expect(envelope.open).not.toHaveBeenCalled();
    expect(store.commitReveal).not.toHaveBeenCalled();
  });
});

describe('revoke', () => {
  it('writes the revocation with an audit event naming the key', async () => {
    const store = recordingStore([key()]);
    const view = await service.revokeKey(deps(store), alice, INTEGRATION.id, key().id);
    const write = onlyCall(store.revokeKey)[0];
    expect(write).toMatchObject({
      apiKey: INTEGRATION.apiKey,
      revokedBy: 'alice',
      revokedAt: AT.toISOString(),
    });
    expect(write.audit).toMatchObject({
      action: 'key.revoked',
      keyId: key().id,
      details: { name: 'Primary' },
    });
    expect(view.status).toBe('revoked');
  });

  it('an already revoked key is answered as it is, with no second write or audit event', async () => {
    const revoked = key({ status: 'revoked', revokedAt: day(-1), revokedBy: 'bob' });
    const store = recordingStore([revoked]);
    const view = await service.revokeKey(deps(store), alice, INTEGRATION.id, revoked.id);
    expect(store.revokeKey).not.toHaveBeenCalled();
    expect(view).toMatchObject({ status: 'revoked', revokedBy: 'bob' });
  });
});

describe('update integration', () => {
  it("the audit event's details name only the changes asked for", async () => {
    const store = recordingStore();
    await service.updateIntegration(deps(store), alice, INTEGRATION.id, {
      name: 'Renamed',
      legacySignatures: undefined,
    });
    const write = onlyCall(store.updateIntegration)[0];
    expect(write.audit.details).toStrictEqual({ name: 'Renamed' });
    expect(write).toMatchObject({ updatedBy: 'alice', updatedAt: AT.toISOString() });
  });

  it('a false legacySignatures is a change like any other', async () => {
    const store = recordingStore();
    await service.updateIntegration(deps(store), alice, INTEGRATION.id, { legacySignatures: false });
    const write = onlyCall(store.updateIntegration)[0];
    expect(write.audit.details).toStrictEqual({ legacySignatures: false });
  });
});

describe('rotate', () => {
  const rotation = (store: RecordingStore) => onlyCall(store.rotateKey)[0];

  it.each([
    ['expiring', key({ status: 'expiring', expiresAt: day(1) })],
    ['revoked', key({ status: 'revoked' })],
    ['expired (active, its expiry passed)', key({ expiresAt: day(-1) })],
  ])('a key %s is not rotated', async (_, previous) => {
    const store = recordingStore([previous]);
    await expect(
      service.rotateKey(deps(store), alice, INTEGRATION.id, previous.id, {}),
    ).rejects.toMatchObject({
      code: 'key_not_active',
    });
    expect(store.rotateKey).not.toHaveBeenCalled();
  });

  it('the old key verifies until the overlap ends; the audit event names the successor and that end', async () => {
    const store = recordingStore([key()]);
    const result = await service.rotateKey(deps(store), alice, INTEGRATION.id, key().id, {
      overlapSeconds: 3600,
    });
    const end = new Date(AT.getTime() + 3_600_000).toISOString();
    const write = rotation(store);
    expect(write.expiresAt).toBe(end);
    expect(write.audit).toMatchObject({ action: 'key.rotated', keyId: key().id });
    expect(write.audit.details).toStrictEqual({ successor: write.successor.key.id, expiresAt: end });
    expect(result.previous).toMatchObject({ status: 'expiring', expiresAt: end });
    expect(result.key.id).toBe(write.successor.key.id);
  });

  it(`without overlapSeconds the overlap is the default ${DEFAULT_OVERLAP_SECONDS} seconds`, async () => {
    const store = recordingStore([key()]);
    await service.rotateKey(deps(store), alice, INTEGRATION.id, key().id, {});
    expect(rotation(store).expiresAt).toBe(
      new Date(AT.getTime() + DEFAULT_OVERLAP_SECONDS * 1000).toISOString(),
    );
  });

  it('a key that expires before the overlap would end keeps its earlier expiry; a later one is cut to the overlap', async () => {
    const soon = new Date(AT.getTime() + 600_000).toISOString();
    const early = recordingStore([key({ expiresAt: soon })]);
    await service.rotateKey(deps(early), alice, INTEGRATION.id, key().id, { overlapSeconds: 3600 });
    expect(rotation(early).expiresAt).toBe(soon);

    const late = recordingStore([key({ expiresAt: day(30) })]);
    await service.rotateKey(deps(late), alice, INTEGRATION.id, key().id, { overlapSeconds: 3600 });
    expect(rotation(late).expiresAt).toBe(new Date(AT.getTime() + 3_600_000).toISOString());
  });

  it('the successor is named after the old key, within the 100-character limit, unless a name is given', async () => {
    const store = recordingStore([key({ name: 'x'.repeat(100) })]);
    await service.rotateKey(deps(store), alice, INTEGRATION.id, key().id, {});
    expect(rotation(store).successor.key.name).toBe('x'.repeat(100));

    const short = recordingStore([key()]);
    await service.rotateKey(deps(short), alice, INTEGRATION.id, key().id, {});
    expect(rotation(short).successor.key.name).toBe('Primary (rotated)');

    const named = recordingStore([key()]);
    await service.rotateKey(deps(named), alice, INTEGRATION.id, key().id, { name: 'Next' });
    expect(rotation(named).successor.key.name).toBe('Next');
  });
});

describe('rotation settings', () => {
  it('an account that set its policy gets it back with who set it and when', async () => {
    const store = recordingStore();
    const stored = { rotationPeriodDays: 30, reminderIntervalDays: 3, updatedAt: day(-2), updatedBy: 'bob' };
    store.getRotationSettings.mockResolvedValue(stored);
    await expect(service.rotationSettings(deps(store), alice)).resolves.toStrictEqual(stored);
  });

  it('an update is audited with the policy it sets, and reindexes active keys by the new period', async () => {
    const store = recordingStore();
    const settings = await service.updateRotationSettings(deps(store), alice, { rotationPeriodDays: 30 });
    const { audit } = onlyCall(store.putRotationSettings)[0];
    expect(audit.details).toStrictEqual({
      rotationPeriodDays: 30,
      reminderIntervalDays: settings.reminderIntervalDays,
    });

    const [, plan] = onlyCall(store.reindexKeys);
    const created = '2026-11-01T00:00:00.000Z';
    expect(plan(key({ status: 'revoked', createdAt: created }))).toBeUndefined();
    expect(plan(key({ createdAt: created }))?.rotationDueAt).toBe('2026-12-01T00:00:00.000Z');
    // An expiring key is past rotation: it has no due date, only its expiry notice.
    expect(
      plan(key({ status: 'expiring', expiresAt: day(1), createdAt: created }))?.rotationDueAt,
    ).toBeUndefined();
  });
});

describe('roles', () => {
  it.each([
    [
      'create a key',
      (d: ReturnType<typeof deps>) => service.createKey(d, viewer, INTEGRATION.id, { name: 'x' }),
    ],
    ['reveal', (d: ReturnType<typeof deps>) => service.revealKey(d, viewer, INTEGRATION.id, key().id)],
    ['revoke', (d: ReturnType<typeof deps>) => service.revokeKey(d, viewer, INTEGRATION.id, key().id)],
    ['rotate', (d: ReturnType<typeof deps>) => service.rotateKey(d, viewer, INTEGRATION.id, key().id, {})],
    [
      'update an integration',
      (d: ReturnType<typeof deps>) => service.updateIntegration(d, viewer, INTEGRATION.id, {}),
    ],
  ])('a viewer cannot %s, and nothing is read or written', async (_, call) => {
    const store = recordingStore([key()]);
    await expect(call(deps(store))).rejects.toMatchObject({ statusCode: 403, code: 'forbidden' });
    for (const fn of Object.values(store)) expect(fn).not.toHaveBeenCalled();
  });
});
