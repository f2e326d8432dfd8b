import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiGatewayEvent } from '../../local/api-event.js';
import { RateLimiter } from '../../shared/domain/rate-limiter.js';
import { stubOfflineFunctionEnv } from '../support/engines.js';

describe('per-integration limit on the public self-test route', () => {
  type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
  let handler: Handler;
  beforeAll(async () => {
    stubOfflineFunctionEnv({ SIGNATURE_CHECK_RATE_PER_SECOND: '1', SIGNATURE_CHECK_BURST: '3' });
    ({ handler } = (await import('../../functions/signature-check.js')) as unknown as { handler: Handler });
  });
  // A client string that is not an apiKey is refused before any read: the limit is all that is tested.
  const call = (client: string) =>
    handler(
      apiGatewayEvent({
        method: 'POST',
        path: '/v1/signature-check',
        headers: { 'x-auth-client': client, 'x-hmac-signature': 'a'.repeat(64), 'x-auth-timestamp': '1' },
        body: '{}',
        sourceIp: '198.51.100.1',
      }),
      { awsRequestId: randomUUID(), functionName: 'signature-check' },
    );

  it('answers 429 in the error shape once an integration spends its burst; others are unaffected', async () => {
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await call('busy')).statusCode);
    expect(statuses).toEqual([401, 401, 401, 429, 429]);
    const limited = JSON.parse((await call('busy')).body);
    expect(limited.error).toMatchObject({ code: 'rate_limited', retryAfterSeconds: 1 });
    expect(limited.error.message).toMatch(/retry in 1 s/);
    expect((await call('quiet')).statusCode).toBe(401);
  });
});

describe('RateLimiter', () => {
  it('refills at its rate and never beyond its burst', () => {
    const clock = { t: 0, now: () => new Date(clock.t) };
    const limiter = new RateLimiter(clock, 2, 2);
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].map((r) => r.allowed)).toEqual([
      true,
      true,
      false,
    ]);
    clock.t += 500;
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(false);
    clock.t += 60_000;
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')].map((r) => r.allowed)).toEqual([
      true,
      true,
      false,
    ]);
  });
});
