import type { Clock } from './ports.js';

/**
 * Decrypted signing keys, per container, bounded in time and size, zeroed on eviction. Concurrent
 * misses for one key share a single load, so a burst costs one KMS call. A key is only ever handed to a
 * synchronous callback, so an eviction can never zero it while a MAC is being computed with it.
 */
export class SigningKeyCache {
  private readonly entries = new Map<string, { key: Buffer; expiresAt: number }>();
  private readonly loading = new Map<string, Promise<void>>();

  constructor(
    private readonly clock: Clock,
    private readonly ttlMs: number,
    private readonly maxEntries: number,
  ) {}

  async use<T>(id: string, load: () => Promise<Buffer>, fn: (key: Buffer) => T): Promise<T> {
    if (this.ttlMs > 0) {
      for (let attempt = 0; attempt < 3; attempt++) {
        const key = this.fresh(id);
        if (key) return fn(key);
        await this.loadOnce(id, load);
      }
    }
    // Caching disabled, or evicted again under pressure: use a private copy and zero it.
    const key = await load();
    try {
      return fn(key);
    } finally {
      key.fill(0);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  private fresh(id: string): Buffer | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt > this.clock.now().getTime()) return entry.key;
    this.evict(id);
    return undefined;
  }

  private loadOnce(id: string, load: () => Promise<Buffer>): Promise<void> {
    let pending = this.loading.get(id);
    if (!pending) {
      pending = load()
        .then((key) => this.store(id, key))
        .finally(() => this.loading.delete(id));
      this.loading.set(id, pending);
    }
    return pending;
  }

  private store(id: string, key: Buffer) {
    this.evict(id);
    while (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.evict(oldest);
    }
    this.entries.set(id, { key, expiresAt: this.clock.now().getTime() + this.ttlMs });
  }

  private evict(id: string) {
    const entry = this.entries.get(id);
    if (!entry) return;
    this.entries.delete(id);
    entry.key.fill(0);
  }
}
