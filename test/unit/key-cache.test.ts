import { describe, expect, it } from 'vitest';
import { SigningKeyCache } from '../../shared/domain/key-cache.js';

function clockAt(start: number) {
  const clock = { t: start, now: () => new Date(clock.t) };
  return clock;
}

describe('signing key cache', () => {
  it('loads once for a burst of concurrent misses, then serves from memory', async () => {
    const clock = clockAt(0);
    const cache = new SigningKeyCache(clock, 60_000, 10);
    let loads = 0;
    const load = async () => {
      loads++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return Buffer.from('key-bytes');
    };
    const results = await Promise.all(
      Array.from({ length: 100 }, () => cache.use('k', load, (key) => key.toString())),
    );
    expect(new Set(results)).toEqual(new Set(['key-bytes']));
    await cache.use('k', load, () => undefined);
    expect(loads).toBe(1);
  });

  it('expires entries after the TTL and zeroes the evicted key', async () => {
    const clock = clockAt(0);
    const cache = new SigningKeyCache(clock, 1_000, 10);
    const first = Buffer.from('first');
    await cache.use(
      'k',
      async () => first,
      () => undefined,
    );
    clock.t = 1_001;
    await cache.use(
      'k',
      async () => Buffer.from('second'),
      (key) => expect(key.toString()).toBe('second'),
    );
    expect(first.every((byte) => byte === 0)).toBe(true);
  });

  it('holds at most maxEntries, evicting (and zeroing) the oldest', async () => {
    const cache = new SigningKeyCache(clockAt(0), 60_000, 3);
    const keys = ['a', 'b', 'c', 'd'].map((id) => ({ id, buffer: Buffer.from(`key-${id}`) }));
    for (const { id, buffer } of keys)
      await cache.use(
        id,
        async () => buffer,
        () => undefined,
      );
    expect(cache.size).toBe(3);
    expect(keys[0]?.buffer.every((byte) => byte === 0)).toBe(true);
    expect(keys[3]?.buffer.toString()).toBe('key-d');
  });

  it('with caching off, every use loads and zeroes its own copy', async () => {
    const cache = new SigningKeyCache(clockAt(0), 0, 3);
    const copies: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      await cache.use(
        'k',
        async () => {
          const copy = Buffer.from('key');
          copies.push(copy);
          return copy;
        },
        (key) => expect(key.toString()).toBe('key'),
      );
    }
    expect(copies).toHaveLength(3);
    for (const copy of copies) expect(copy.every((byte) => byte === 0)).toBe(true);
  });

  it('a failed load is not cached', async () => {
    const cache = new SigningKeyCache(clockAt(0), 60_000, 3);
    await expect(
      cache.use(
        'k',
        async () => Promise.reject(new Error('kms down')),
        () => 1,
      ),
    ).rejects.toThrow('kms down');
    await expect(
      cache.use(
        'k',
        async () => Buffer.from('ok'),
        (key) => key.toString(),
      ),
    ).resolves.toBe('ok');
  });

  it('an entry serves until the millisecond before its TTL ends, and is loaded again at that instant', async () => {
    const clock = clockAt(0);
    const cache = new SigningKeyCache(clock, 1_000, 10);
    let loads = 0;
    const load = async () => {
      loads++;
      return Buffer.from(`key-${loads}`);
    };
    await cache.use('k', load, () => undefined);
    clock.t = 999;
    expect(await cache.use('k', load, (key) => key.toString())).toBe('key-1');
    clock.t = 1_000;
    expect(await cache.use('k', load, (key) => key.toString())).toBe('key-2');
  });

  it('a key evicted again while it loads (one slot, two keys in turn) is still used, from a private copy at worst', async () => {
    const clock = clockAt(0);
    const cache = new SigningKeyCache(clock, 60_000, 1);
    const loads: string[] = [];
    const loader = (id: string) => async () => {
      loads.push(id);
      await new Promise((resolve) => setTimeout(resolve, 1));
      return Buffer.from(id);
    };
    const seen = await Promise.all(
      Array.from({ length: 6 }, (_, i) => {
        const id = i % 2 === 0 ? 'a' : 'b';
        return cache.use(id, loader(id), (key) => key.toString());
      }),
    );
    expect(seen).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    expect(cache.size).toBe(1);
    // Bounded work: each use loads at most its three attempts and one private copy.
    expect(loads.length).toBeLessThanOrEqual(6 * 4);
  });

  it('a key that is stale again each time it is stored is loaded three times into the cache, then once as a private copy', async () => {
    // Every reading of the clock is a TTL later than the last: each stored entry has expired by the
    // time it is looked up, the worst case of eviction pressure.
    let t = 0;
    const clock = {
      now: () => {
        t += 2_000;
        return new Date(t);
      },
    };
    const cache = new SigningKeyCache(clock, 1_000, 10);
    const copies: Buffer[] = [];
    const load = async () => {
      const key = Buffer.from(`key-${copies.length + 1}`);
      copies.push(key);
      return key;
    };
    expect(await cache.use('k', load, (key) => key.toString())).toBe('key-4');
    expect(copies).toHaveLength(4);
    const zeroed = () => copies.map((key) => key.every((byte) => byte === 0));
    // The first two were zeroed as they expired, the private copy after use; the third is still held,
    // and zeroed when next looked up.
    expect(zeroed()).toEqual([true, true, false, true]);
    expect(cache.size).toBe(1);
    await cache.use('k', load, () => undefined);
    expect(zeroed()[2]).toBe(true);
  });
});
