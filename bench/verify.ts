import { createHmac, timingSafeEqual } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { CredentialCache } from '../shared/domain/credential-cache.js';
import { SigningKeyCache } from '../shared/domain/key-cache.js';
import type { Credential } from '../shared/domain/model.js';
import { createSigningService } from '../shared/domain/signing-service.js';

/**
 * Warm in-process verification next to a raw createHmac + timingSafeEqual on the same body. The store
 * read is excluded (an in-memory credential), so the ratio is the rule's own overhead.
 */
export async function measureWarmVerify(bodyBytes = 1024, iterations = 20_000) {
  const secret = 'ssk_benchsecretbenchsecretbenchsecretbenchsecret000000';
  const body = Buffer.from('x'.repeat(bodyBytes));
  const signature = createHmac('sha256', secret).update(body).digest('hex');
  const credential: Credential = {
    apiKey: 'ak_benchbenchbenchbench00',
    accountId: 'bench',
    integrationId: 'int_bench',
    legacySignatures: true,
    keys: {
      key_bench: { name: 'bench', status: 'active', createdAt: new Date().toISOString(), signing: 'sealed' },
    },
  };
  const clock = { now: () => new Date() };
  const service = createSigningService({
    store: {
      getCredential: async () => credential,
      findIntegration: async () => undefined,
      recordKeyUse: async () => true,
    },
    envelope: { seal: async () => 'sealed', open: async () => Buffer.from(secret) },
    clock,
    cache: new SigningKeyCache(clock, 60 * 60_000, 10),
    credentials: new CredentialCache(clock, 0),
    lastUsedIntervalMs: 60 * 60_000,
  });
  // The legacy form, so both sides MAC exactly the same bytes.
  const input = { apiKey: 'ak_benchbenchbenchbench00', signature, body, method: 'POST', path: '/bench' };
  await service.verify(input);

  const provided = Buffer.from(signature, 'hex');
  const key = Buffer.from(secret);
  let sink = 0;
  const raw = () => {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) {
      if (timingSafeEqual(createHmac('sha256', key).update(body).digest(), provided)) sink++;
    }
    return ((performance.now() - started) * 1000) / iterations;
  };
  const ours = async () => {
    const started = performance.now();
    for (let i = 0; i < iterations; i++) if ((await service.verify(input)).valid) sink++;
    return ((performance.now() - started) * 1000) / iterations;
  };
  // Warm both paths up, then alternate rounds and keep the best of each (least disturbed by the machine).
  raw();
  await ours();
  const rawRounds: number[] = [];
  const ourRounds: number[] = [];
  for (let round = 0; round < 5; round++) {
    rawRounds.push(raw());
    ourRounds.push(await ours());
  }
  if (sink === 0) throw new Error('nothing verified');
  const rawUs = Math.min(...rawRounds);
  const oursUs = Math.min(...ourRounds);
  return { bodyBytes, rawUs, oursUs, ratio: oursUs / rawUs };
}
