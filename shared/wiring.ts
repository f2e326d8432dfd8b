import { dynamoClient, kmsClient } from './adapters/clients.js';
import { systemClock } from './adapters/clock.js';
import { createDynamoStore } from './adapters/dynamodb/store.js';
import { createKmsEnvelope } from './adapters/kms-envelope.js';
import { intEnv, requireEnv } from './config.js';
import { CredentialCache, invalidatingStore } from './domain/credential-cache.js';
import { SigningKeyCache } from './domain/key-cache.js';
import { RateLimiter } from './domain/rate-limiter.js';
import type { ReadDeps, ServiceDeps } from './domain/service.js';
import { createSigningService, type SigningService } from './domain/signing-service.js';
import { logger } from './http/logger.js';

/**
 * The factories handlers call once, at module scope. On Lambda each function is its own process; the
 * local runtime loads every handler into one, where they share this module's credential cache, so a
 * revoke made there takes effect at once for its verifications too.
 */
let credentialCache: CredentialCache | undefined;
function credentials(): CredentialCache {
  credentialCache ??= new CredentialCache(
    systemClock,
    intEnv('CREDENTIAL_CACHE_MS', 1_000, { min: 0, max: 60_000 }),
  );
  return credentialCache;
}

/** For functions that only read or change metadata: no KMS client is created or bundled. */
export function storeDeps(): ReadDeps & Pick<ServiceDeps, 'clock'> {
  const store = createDynamoStore({ client: dynamoClient(), tableName: requireEnv('TABLE_NAME') });
  return { store: invalidatingStore(store, credentials()), clock: systemClock };
}

export function serviceDeps(): ServiceDeps {
  return {
    ...storeDeps(),
    envelope: createKmsEnvelope({ client: kmsClient(), keyId: requireEnv('KMS_KEY_ID') }),
    maxUsableKeys: intEnv('MAX_USABLE_KEYS', 10, { min: 1, max: 50 }),
  };
}

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
