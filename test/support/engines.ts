import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject, vi } from 'vitest';
import { localIssuer, newLocalKey } from '../../local/dev-auth.js';
import { type KmsStandIn, startKmsStandIn } from '../../local/kms-standin.js';
import { ensureTable } from '../../local/table.js';
import { createDynamoClient, createKmsClient } from '../../shared/adapters/clients.js';
import { systemClock } from '../../shared/adapters/clock.js';
import { createDynamoStore } from '../../shared/adapters/dynamodb/store.js';
import { createKmsEnvelope } from '../../shared/adapters/kms-envelope.js';
import type { Actor, Role } from '../../shared/domain/model.js';
import type { ServiceDeps } from '../../shared/domain/service.js';

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** Real engines for connected tests: the run's DynamoDB Local (a fresh table) and a KMS stand-in. */
export async function connectedEngines() {
  const endpoint = inject('dynamodbEndpoint');
  const raw = new DynamoDBClient({ region: 'us-east-1', endpoint, credentials });
  const tableName = `t-${randomUUID()}`;
  await ensureTable(raw, tableName);
  // The product's own clients, pointed at the engines.
  const client = createDynamoClient({ region: 'us-east-1', endpoint, credentials });
  const kms: KmsStandIn = await startKmsStandIn();
  const kmsClient = createKmsClient({
    region: 'us-east-1',
    endpoint: kms.endpoint,
    credentials,
    maxAttempts: 1,
  });
  const store = createDynamoStore({ client, tableName });
  const envelope = createKmsEnvelope({ client: kmsClient, keyId: kms.keyArn });
  const deps: ServiceDeps = {
    store,
    envelope,
    clock: systemClock,
    maxUsableKeys: 10,
    defaultRotationPeriodDays: 90,
  };
  // A token issuer of the test's own, whose keys the handlers are told to trust (stubFunctionEnv).
  const issuer = await localIssuer(await newLocalKey());
  return {
    issuer,
    client,
    tableName,
    kms,
    kmsClient,
    store,
    envelope,
    deps,
    async close() {
      await kms.close();
      raw.destroy();
      client.destroy();
      kmsClient.destroy();
    },
  };
}

export function actor(accountId: string, userId: string, role: Role = 'admin'): Actor {
  return { accountId, userId, roles: [role], requestId: randomUUID(), sourceIp: '127.0.0.1' };
}

/**
 * The environment a Lambda hands a function, pointed at the connected engines: for tests that load
 * handler modules (or their bundles) in process. Undo with vi.unstubAllEnvs().
 */
export function stubFunctionEnv(
  engines: { tableName: string; kms: KmsStandIn; issuer: { env: Record<string, string> } },
  sessionToken?: string,
) {
  for (const [name, value] of Object.entries(engines.issuer.env)) vi.stubEnv(name, value);
  vi.stubEnv('TABLE_NAME', engines.tableName);
  vi.stubEnv('KMS_KEY_ID', engines.kms.keyArn);
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'functiontest');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'functiontest');
  if (sessionToken) vi.stubEnv('AWS_SESSION_TOKEN', sessionToken);
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', inject('dynamodbEndpoint'));
  vi.stubEnv('AWS_ENDPOINT_URL_KMS', engines.kms.endpoint);
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
  vi.stubEnv('SECRET_SCANNING_KEYS_URL', 'http://127.0.0.1:9/secret-scanning-keys');
}

/**
 * A function's environment for unit tests that must never reach AWS: configuration only, endpoints that
 * refuse connections, logs silenced. Undo with vi.unstubAllEnvs().
 */
export function stubOfflineFunctionEnv(extra: Record<string, string> = {}) {
  const env = {
    TABLE_NAME: 'offline',
    KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/offline',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'offline',
    AWS_SECRET_ACCESS_KEY: 'offline',
    AWS_ENDPOINT_URL_DYNAMODB: 'http://127.0.0.1:9',
    AWS_ENDPOINT_URL_KMS: 'http://127.0.0.1:9',
    SECRET_SCANNING_KEYS_URL: 'http://127.0.0.1:9/secret-scanning-keys',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    ...extra,
  };
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
}
