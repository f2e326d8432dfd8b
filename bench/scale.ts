import { createHmac } from 'node:crypto';
import { startEngines } from '../local/stack.js';
import { createDynamoClient, createKmsClient } from '../shared/adapters/clients.js';
import { systemClock } from '../shared/adapters/clock.js';
import { createDynamoStore } from '../shared/adapters/dynamodb/store.js';
import { createKmsEnvelope } from '../shared/adapters/kms-envelope.js';
import { CredentialCache } from '../shared/domain/credential-cache.js';
import { SigningKeyCache } from '../shared/domain/key-cache.js';
import * as service from '../shared/domain/service.js';
import { createSigningService } from '../shared/domain/signing-service.js';
import { observeCalls } from '../test/support/aws-calls.js';
import { PRICES } from './prices.js';

/** DynamoDB serves one partition at most this many read units a second (strongly consistent, ≤ 4 KB). */
export const PARTITION_READ_UNITS = 3_000;

export interface ScaleRow {
  rate: number;
  containers: number;
  readsPerSecond: number;
  readsPerSecondUncached: number;
  fits: boolean;
  fitsUncached: boolean;
  dollarsPerMillion: number;
}

/**
 * One integration at `rate` verifications a second, spread over the containers Lambda runs for it
 * (Little's law: concurrency = rate × handler time). Each container reads the integration's credential
 * item at most once per cache period (fewer when it sees fewer requests than that), so the item sees
 * min(rate, containers × 1000 / periodMs) reads a second instead of `rate`.
 */
export function scaleModel(
  handlerMs: number,
  periodMs: number,
  memoryMb: number,
  rates = [1_000, 10_000, 50_000],
) {
  return rates.map((rate): ScaleRow => {
    const containers = Math.max(1, Math.ceil((rate * handlerMs) / 1000));
    const readsPerSecond = periodMs > 0 ? Math.min(rate, containers * (1000 / periodMs)) : rate;
    const readsPerVerification = readsPerSecond / rate;
    const dollarsPerMillion =
      1e6 *
      (PRICES.lambdaPerRequest +
        (memoryMb / 1024) * (Math.ceil(handlerMs) / 1000) * PRICES.lambdaArmPerGbSecond +
        readsPerVerification * PRICES.dynamoDbPerReadUnit);
    return {
      rate,
      containers,
      readsPerSecond,
      readsPerSecondUncached: rate,
      fits: readsPerSecond <= PARTITION_READ_UNITS,
      fitsUncached: rate <= PARTITION_READ_UNITS,
      dollarsPerMillion,
    };
  });
}

/**
 * Measured, in process, against DynamoDB Local and the KMS stand-in: `workers` concurrent verifiers of
 * one integration for `seconds`, with the credential cache on, and the credential reads they issued.
 */
export async function measureCachedVerification({ workers = 20, seconds = 10, periodMs = 1_000 } = {}) {
  const engines = await startEngines({ tableName: `scale-${Date.now()}` });
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const dynamo = createDynamoClient({
    region: 'us-east-1',
    endpoint: engines.dynamodb.endpoint,
    credentials,
  });
  const kms = createKmsClient({ region: 'us-east-1', endpoint: engines.kms.endpoint, credentials });
  try {
    const store = createDynamoStore({ client: dynamo, tableName: engines.tableName });
    const envelope = createKmsEnvelope({ client: kms, keyId: engines.kms.keyArn });
    const deps = { store, envelope, clock: systemClock, maxUsableKeys: 10, defaultRotationPeriodDays: 90 };
    const admin = {
      accountId: 'scale',
      userId: 'ops',
      roles: ['admin' as const],
      requestId: 'r',
      sourceIp: '127.0.0.1',
    };
    const { integration } = await service.createIntegration(deps, admin, { name: 'Busy' });
    const { secret } = await service.createKey(deps, admin, integration.id, { name: 'k' });
    const signing = createSigningService({
      store,
      envelope,
      clock: systemClock,
      cache: new SigningKeyCache(systemClock, 300_000, 100),
      credentials: new CredentialCache(systemClock, periodMs),
      lastUsedIntervalMs: 900_000,
    });
    let reads = 0;
    observeCalls(dynamo, 'dynamodb', async (call, next) => {
      if (call.operation === 'GetItem') reads++;
      return next();
    });
    const body = Buffer.from(JSON.stringify({ event: 'scale' }));
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', secret)
      .update(Buffer.concat([Buffer.from(`${timestamp}\nPOST\n/inbound\n`), body]))
      .digest('hex');
    const request = {
      apiKey: integration.apiKey,
      signature,
      body,
      timestamp,
      method: 'POST',
      path: '/inbound',
    };
    const until = Date.now() + seconds * 1000;
    let verifications = 0;
    let failures = 0;
    await Promise.all(
      Array.from({ length: workers }, async () => {
        while (Date.now() < until) {
          const result = await signing.verify(request);
          verifications++;
          if (!result.valid) failures++;
        }
      }),
    );
    return { workers, seconds, verifications, failures, reads, readsPerVerification: reads / verifications };
  } finally {
    dynamo.destroy();
    kms.destroy();
    await engines.stop();
  }
}
