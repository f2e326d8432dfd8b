import { kmsClient } from './adapters/clients.js';
import { systemClock } from './adapters/clock.js';
import { createKmsEnvelope } from './adapters/kms-envelope.js';
import { intEnv, requireEnv } from './config.js';
import { SigningKeyCache } from './domain/key-cache.js';
import { RateLimiter } from './domain/rate-limiter.js';
import { createSigningService, type SigningService } from './domain/signing-service.js';
import { logger } from './http/logger.js';
import { credentials, storeDeps } from './wiring.js';

// Apart from wiring.ts so that the dashboard's functions do not bundle the signing path.

/** For the verify and sign paths: the per-container caches live as long as the module does. */
export function signingService(): SigningService {
  const { store, clock } = storeDeps();
  return createSigningService({
    store,
    clock,
    envelope: createKmsEnvelope({ client: kmsClient(), keyId: requireEnv('KMS_KEY_ID') }),
    cache: new SigningKeyCache(
      clock,
      intEnv('SIGNING_KEY_CACHE_SECONDS', 300, { min: 0, max: 3600 }) * 1000,
      intEnv('SIGNING_KEY_CACHE_MAX', 1000, { min: 1, max: 100_000 }),
    ),
    credentials: credentials(),
    lastUsedIntervalMs: intEnv('LAST_USED_INTERVAL_SECONDS', 900, { min: 0, max: 86_400 }) * 1000,
    onUsageError: (error) => logger.warn('lastUsedAt not recorded', { errorName: (error as Error).name }),
  });
}

/** The public self-test route's per-integration limit, per container (see README: Throttling). */
export function selfTestLimiter(): RateLimiter {
  return new RateLimiter(
    systemClock,
    intEnv('SIGNATURE_CHECK_RATE_PER_SECOND', 5, { min: 1, max: 10_000 }),
    intEnv('SIGNATURE_CHECK_BURST', 10, { min: 1, max: 10_000 }),
  );
}
