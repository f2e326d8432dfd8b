import { describe, expect, it, vi } from 'vitest';
import { CredentialCache, invalidatingStore } from '../../shared/domain/credential-cache.js';
import type { Credential } from '../../shared/domain/model.js';
import type { KeyStore } from '../../shared/domain/ports.js';
import { INTEGRATION, recordingStore } from '../support/recording-store.js';

/**
 * The credential cache's promises: a record is reused for at most maxStaleMs after the read that
 * fetched it began, concurrent requests share one read, a change made here drops the record at once
 * (and a read begun before the change is not kept), and memory stays bounded.
 */
const credential = (apiKey: string): Credential => ({
  apiKey,
  accountId: 'acme',
  integrationId: INTEGRATION.id,
  legacySignatures: false,
  keys: {},
});

function harness(maxStaleMs = 1000, maxEntries?: number) {
  const clock = { t: 0, now: () => new Date(clock.t) };
  const cache = new CredentialCache(clock, maxStaleMs, maxEntries);
  const loads: string[] = [];
  const get = (apiKey: string) =>
    cache.get(apiKey, async () => {
      loads.push(apiKey);
      return credential(apiKey);
    });
  return { clock, cache, loads, get };
}

/** A load that resolves when told, to hold a read in flight. */
function deferred() {
  let resolve: (value: Credential | undefined) => void = () => {};
  const promise = new Promise<Credential | undefined>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('the credential cache', () => {
  it('reuses a record until maxStaleMs after its read began, and reads again from that instant', async () => {
    const h = harness(1000);
    await h.get('a');
    h.clock.t = 999;
    await expect(h.get('a')).resolves.toEqual(credential('a'));
    expect(h.loads).toEqual(['a']);
    h.clock.t = 1000;
    await h.get('a');
    expect(h.loads).toEqual(['a', 'a']);
  });

  it('the staleness counts from when the read began, not when it answered', async () => {
    const h = harness(1000);
    const slow = deferred();
    const first = h.cache.get('a', () => slow.promise);
    h.clock.t = 600;
    slow.resolve(credential('a'));
    await first;
    h.clock.t = 1000;
    await h.get('a');
    expect(h.loads).toEqual(['a']);
  });

  it('an unknown apiKey is remembered too (no read per guess)', async () => {
    const h = harness();
    const load = vi.fn(async () => undefined);
    await h.cache.get('nobody', load);
    await expect(h.cache.get('nobody', load)).resolves.toBeUndefined();
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('concurrent requests share the one read in flight; after it, a failed read is not kept', async () => {
    const h = harness();
    const pending = deferred();
    const load = vi.fn(() => pending.promise);
    const both = Promise.all([h.cache.get('a', load), h.cache.get('a', load)]);
    pending.resolve(credential('a'));
    await expect(both).resolves.toEqual([credential('a'), credential('a')]);
    expect(load).toHaveBeenCalledTimes(1);

    const failing = vi.fn(async () => {
      throw new Error('throttled');
    });
    await expect(h.cache.get('b', failing)).rejects.toThrow('throttled');
    await expect(h.get('b')).resolves.toEqual(credential('b'));
    expect(failing).toHaveBeenCalledTimes(1);
  });

  it('0 disables it: every request reads, concurrent ones too', async () => {
    const h = harness(0);
    await h.get('a');
    await h.get('a');
    expect(h.loads).toEqual(['a', 'a']);
    await Promise.all([h.get('a'), h.get('a')]);
    expect(h.loads).toHaveLength(4);
  });

  it('a read begun before an invalidation, ending late, does not unshare the read begun after it', async () => {
    const h = harness();
    const before = deferred();
    const after = deferred();
    const load = vi.fn(() => after.promise);
    const old = h.cache.get('a', () => before.promise);
    h.cache.invalidate('a');
    const fresh = h.cache.get('a', load);
    before.resolve(credential('a'));
    await old;
    // The read after the change is still the one in flight: a third request joins it.
    const joined = h.cache.get('a', load);
    after.resolve(credential('a'));
    await Promise.all([fresh, joined]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('invalidate drops the record; a read begun before it answers its caller but is not kept', async () => {
    const h = harness();
    await h.get('a');
    h.cache.invalidate('a');
    await h.get('a');
    expect(h.loads).toEqual(['a', 'a']);
    // The read after the change is kept as usual.
    await h.get('a');
    expect(h.loads).toEqual(['a', 'a']);

    const before = deferred();
    const old = h.cache.get('b', () => before.promise);
    h.cache.invalidate('b');
    // Not joined to the read begun before the change: a read of its own.
    await h.get('b');
    before.resolve({ ...credential('b'), legacySignatures: true });
    await expect(old).resolves.toMatchObject({ legacySignatures: true });
    await expect(h.get('b')).resolves.toMatchObject({ legacySignatures: false });
    expect(h.loads).toEqual(['a', 'a', 'b']);
  });

  it('a read begun before an invalidation is not kept however many other records change meanwhile', async () => {
    const h = harness(1000, 2);
    const before = deferred();
    const old = h.cache.get('a', () => before.promise);
    // More changes than the cache holds records: whatever it remembers of them stays bounded, and the
    // read of 'a' begun before its change is still known to be stale.
    for (const apiKey of ['a', 'b', 'c', 'd']) h.cache.invalidate(apiKey);
    before.resolve({ ...credential('a'), legacySignatures: true });
    await expect(old).resolves.toMatchObject({ legacySignatures: true });
    await expect(h.get('a')).resolves.toMatchObject({ legacySignatures: false });
    expect(h.loads).toEqual(['a']);
  });

  it('holds at most maxEntries records, forgetting the oldest', async () => {
    const h = harness(1000, 2);
    await h.get('a');
    await h.get('b');
    await h.get('c');
    await h.get('c');
    await h.get('b');
    expect(h.loads).toEqual(['a', 'b', 'c']);
    await h.get('a');
    expect(h.loads).toEqual(['a', 'b', 'c', 'a']);
  });
});

describe('the invalidating store', () => {
  it.each([
    ['addKey', (s: KeyStore) => s.addKey({ apiKey: 'ak_1' } as Parameters<KeyStore['addKey']>[0])],
    ['revokeKey', (s: KeyStore) => s.revokeKey({ apiKey: 'ak_1' } as Parameters<KeyStore['revokeKey']>[0])],
    ['rotateKey', (s: KeyStore) => s.rotateKey({ apiKey: 'ak_1' } as Parameters<KeyStore['rotateKey']>[0])],
    [
      'updateIntegration',
      (s: KeyStore) =>
        s.updateIntegration({ integration: { apiKey: 'ak_1' } } as Parameters<
          KeyStore['updateIntegration']
        >[0]),
    ],
    ['pruneExpired', (s: KeyStore) => s.pruneExpired('ak_1', 'acme', '2026-12-01T00:00:00.000Z')],
  ])(
    '%s drops the credential once the write is done, and answers what the store answered',
    async (method, call) => {
      const store = recordingStore();
      const order: string[] = [];
      const inner = store[method as keyof typeof store] as unknown as {
        mockImplementation(f: () => unknown): void;
      };
      inner.mockImplementation(async () => {
        order.push('write');
        return method === 'pruneExpired' ? 3 : method === 'updateIntegration' ? INTEGRATION : undefined;
      });
      const cache = { invalidate: vi.fn((apiKey: string) => order.push(`invalidate ${apiKey}`)) };
      const result = await call(invalidatingStore(store as unknown as KeyStore, cache));
      expect(order).toEqual(['write', 'invalidate ak_1']);
      if (method === 'pruneExpired') expect(result).toBe(3);
      if (method === 'updateIntegration') expect(result).toBe(INTEGRATION);
    },
  );

  it('a failed revoke drops the credential too (it may have committed); a failed add does not', async () => {
    const store = recordingStore();
    store.revokeKey.mockRejectedValue(new Error('timeout'));
    store.addKey.mockRejectedValue(new Error('too_many_keys'));
    const cache = { invalidate: vi.fn() };
    const wrapped = invalidatingStore(store as unknown as KeyStore, cache);
    await expect(
      wrapped.revokeKey({ apiKey: 'ak_1' } as Parameters<KeyStore['revokeKey']>[0]),
    ).rejects.toThrow();
    expect(cache.invalidate).toHaveBeenCalledWith('ak_1');
    cache.invalidate.mockClear();
    await expect(wrapped.addKey({ apiKey: 'ak_1' } as Parameters<KeyStore['addKey']>[0])).rejects.toThrow();
    expect(cache.invalidate).not.toHaveBeenCalled();
  });

  it('other methods are the store’s own', () => {
    const store = recordingStore();
    const wrapped = invalidatingStore(store as unknown as KeyStore, { invalidate: vi.fn() });
    expect(wrapped.getKey).toBe(store.getKey);
    expect(wrapped.commitReveal).toBe(store.commitReveal);
  });
});
