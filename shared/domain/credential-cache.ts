import type { Credential } from './model.js';
import type { Clock, KeyStore } from './ports.js';

type Load = () => Promise<Credential | undefined>;

/**
 * Credential records, per container, reused for at most `maxStaleMs` after the read that fetched them
 * began. One busy integration's verifications would otherwise all read one item, and DynamoDB serves
 * one partition at most 3,000 read units a second; with this, a container reads each apiKey at most
 * once per period, and concurrent requests for it share the one read in flight. The price is the
 * staleness bound: a revoke or an expiry made elsewhere takes effect everywhere within `maxStaleMs`.
 * Changes made through this container (see `invalidatingStore`) take effect here at once. 0 disables.
 */
export class CredentialCache {
  private readonly entries = new Map<string, { value: Credential | undefined; readAt: number }>();
  private readonly loading = new Map<string, Promise<Credential | undefined>>();
  /**
   * Replaced by every invalidate: a read that began before any change made here is answered but not kept.
   * One token, not a counter per record, so it needs no memory bound (a per-record table that is cleared
   * when full would forget the change a late read must not outlive); the price is that a change to one
   * record also leaves a read of another in flight uncached, and changes are rare beside reads.
   */
  private epoch: object = {};

  constructor(
    private readonly clock: Clock,
    readonly maxStaleMs: number,
    private readonly maxEntries = 10_000,
  ) {}

  get(apiKey: string, load: Load): Promise<Credential | undefined> {
    if (this.maxStaleMs <= 0) return load();
    const entry = this.entries.get(apiKey);
    if (entry && this.clock.now().getTime() - entry.readAt < this.maxStaleMs)
      return Promise.resolve(entry.value);
    const pending = this.loading.get(apiKey);
    if (pending) return pending;
    const readAt = this.clock.now().getTime();
    const epochAtRead = this.epoch;
    const read = load()
      .then((value) => {
        if (this.epoch === epochAtRead) this.keep(apiKey, value, readAt);
        return value;
      })
      .finally(() => {
        if (this.loading.get(apiKey) === read) this.loading.delete(apiKey);
      });
    this.loading.set(apiKey, read);
    return read;
  }

  invalidate(apiKey: string): void {
    this.entries.delete(apiKey);
    this.loading.delete(apiKey);
    this.epoch = {};
  }

  private keep(apiKey: string, value: Credential | undefined, readAt: number) {
    this.entries.delete(apiKey);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(apiKey, { value, readAt });
  }
}

/** The store, with every change to a credential record dropping that record from `cache` once it commits. */
export function invalidatingStore(store: KeyStore, cache: Pick<CredentialCache, 'invalidate'>): KeyStore {
  return {
    ...store,
    async addKey(input) {
      await store.addKey(input);
      cache.invalidate(input.apiKey);
    },
    async revokeKey(input) {
      try {
        return await store.revokeKey(input);
      } finally {
        cache.invalidate(input.apiKey);
      }
    },
    async rotateKey(input) {
      await store.rotateKey(input);
      cache.invalidate(input.apiKey);
    },
    async updateIntegration(input) {
      const updated = await store.updateIntegration(input);
      cache.invalidate(input.integration.apiKey);
      return updated;
    },
    async pruneExpired(apiKey, accountId, now) {
      const removed = await store.pruneExpired(apiKey, accountId, now);
      cache.invalidate(apiKey);
      return removed;
    },
  };
}
