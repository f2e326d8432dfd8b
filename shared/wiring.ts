import { createDocumentClient, createKmsClient } from './adapters/clients.js';
import { systemClock } from './adapters/clock.js';
import { createDynamoStore } from './adapters/dynamodb.js';
import { createKmsEnvelope } from './adapters/kms-envelope.js';
import { intEnv, requireEnv } from './config.js';
import type { ReadDeps, ServiceDeps } from './domain/service.js';

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
