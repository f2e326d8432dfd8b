import type { Clock } from './ports.js';

/**
 * A token bucket per key, in this container's memory: `ratePerSecond` sustained, `burst` at once. It
 * bounds what one caller can make one container do (each verification may cost a KMS call on a cold
 * key cache); with the function's reserved concurrency it bounds the whole route. Keys are forgotten
 * oldest first beyond `maxKeys`.
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    readonly ratePerSecond: number,
    readonly burst: number,
    private readonly maxKeys = 10_000,
  ) {}

  /** Takes one token for `key`; false (and how long until the next one) when there is none. */
  take(key: string): { allowed: true } | { allowed: false; retryAfterSeconds: number } {
    const now = this.clock.now().getTime();
    const bucket = this.buckets.get(key) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.ratePerSecond);
    bucket.at = now;
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxKeys) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    this.buckets.set(key, bucket);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return { allowed: true };
    }
    return { allowed: false, retryAfterSeconds: Math.ceil((1 - bucket.tokens) / this.ratePerSecond) };
  }
}
