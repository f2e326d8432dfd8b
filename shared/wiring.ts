import { createDocumentClient, createKmsClient } from './adapters/clients.js';
import { systemClock } from './adapters/clock.js';
import { createDynamoStore } from './adapters/dynamodb.js';
import { createKmsEnvelope } from './adapters/kms-envelope.js';
import { intEnv, requireEnv } from './config.js';
import { SigningKeyCache } from './domain/key-cache.js';
import type { ReadDeps, ServiceDeps } from './domain/service.js';
import { createSigningService, type SigningService } from './domain/signing-service.js';
import { logger } from './http/logger.js';

/** For functions that only read or change metadata: no KMS client is created or bundled. */
export function storeDeps(): ReadDeps & Pick<ServiceDeps, 'clock'> {
  return {
    store: createDynamoStore({ client: createDocumentClient(), tableName: requireEnv('TABLE_NAME') }),
    clock: systemClock,
  };
}

export function serviceDeps(): ServiceDeps {
  return {
    ...storeDeps(),
    envelope: createKmsEnvelope({ client: createKmsClient(), keyId: requireEnv('KMS_KEY_ID') }),
    maxUsableKeys: intEnv('MAX_USABLE_KEYS', 10, { min: 1, max: 50 }),
  };
}

/** For the verify and sign paths: the per-container key cache lives as long as the module does. */
export function signingService(): SigningService {
  const { store, clock } = storeDeps();
  return createSigningService({
    store,
    clock,
    envelope: createKmsEnvelope({ client: createKmsClient(), keyId: requireEnv('KMS_KEY_ID') }),
    cache: new SigningKeyCache(
      clock,
      intEnv('SIGNING_KEY_CACHE_SECONDS', 300, { min: 0, max: 3600 }) * 1000,
      intEnv('SIGNING_KEY_CACHE_MAX', 1000, { min: 1, max: 100_000 }),
    ),
    lastUsedIntervalMs: intEnv('LAST_USED_INTERVAL_SECONDS', 900, { min: 0, max: 86_400 }) * 1000,
    onUsageError: (error) => logger.warn('lastUsedAt not recorded', { errorName: (error as Error).name }),
  });
}
