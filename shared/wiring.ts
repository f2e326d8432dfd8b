import { dynamoClient, kmsClient } from './adapters/clients.js';
import { systemClock } from './adapters/clock.js';
import { createDynamoStore } from './adapters/dynamodb/store.js';
import { createKmsEnvelope } from './adapters/kms-envelope.js';
import { intEnv, requireEnv } from './config.js';
import { CredentialCache, invalidatingStore } from './domain/credential-cache.js';
import { RateLimiter } from './domain/rate-limiter.js';
import { ROTATION_LIMITS } from './domain/rotation.js';
import type { ServiceDeps, SettingsDeps } from './domain/service.js';
import { type ScanningKeys, scanningKeys } from './http/scanning-keys.js';

/**
 * The factories handlers call once, at module scope. On Lambda each function is its own process; the
 * local runtime loads every handler into one, where they share this module's credential cache, so a
 * revoke made there takes effect at once for its verifications too.
 */
let credentialCache: CredentialCache | undefined;
export function credentials(): CredentialCache {
  credentialCache ??= new CredentialCache(
    systemClock,
    intEnv('CREDENTIAL_CACHE_MS', 1_000, { min: 0, max: 60_000 }),
  );
  return credentialCache;
}

/** For functions that only read or change metadata: no KMS client is created or bundled. */
export function storeDeps(): SettingsDeps {
  const store = createDynamoStore({ client: dynamoClient(), tableName: requireEnv('TABLE_NAME') });
  return {
    store: invalidatingStore(store, credentials()),
    clock: systemClock,
    defaultRotationPeriodDays: intEnv('ROTATION_PERIOD_DAYS', ROTATION_LIMITS.rotationPeriodDays.fallback, {
      min: ROTATION_LIMITS.rotationPeriodDays.min,
      max: ROTATION_LIMITS.rotationPeriodDays.max,
    }),
  };
}

export function serviceDeps(): ServiceDeps {
  return {
    ...storeDeps(),
    envelope: createKmsEnvelope({ client: kmsClient(), keyId: requireEnv('KMS_KEY_ID') }),
    maxUsableKeys: intEnv('MAX_USABLE_KEYS', 10, { min: 1, max: 50 }),
  };
}

/** "Which key is this?": at most 10 lookups a minute per user, in each container. */
export function identifyLimiter(): RateLimiter {
  return new RateLimiter(systemClock, intEnv('IDENTIFY_PER_MINUTE', 10, { min: 1, max: 1000 }) / 60, 10);
}

/** GitHub's secret-scanning keys: a file of them (locally), or the URL GitHub publishes them at. */
export function secretScanningKeys(): ScanningKeys {
  const file = process.env.SECRET_SCANNING_KEYS_FILE || undefined;
  return scanningKeys(file ? { file } : { url: requireEnv('SECRET_SCANNING_KEYS_URL') });
}
