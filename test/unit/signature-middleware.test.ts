import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { RateLimitedError } from '../../shared/domain/errors.js';
import { RateLimiter } from '../../shared/domain/rate-limiter.js';
import { limitPerClient, rawBody, requestTarget } from '../../shared/http/signature-middleware.js';

/** What the signed routes read from API Gateway's event before verifying: the target, the raw bytes, the client. */
describe('what the signature covers', () => {
  it('the path with its query string exactly as sent, and the bare path without one', () => {
    expect(requestTarget({ rawPath: '/v1/in', rawQueryString: 'b=2&a=%20' })).toBe('/v1/in?b=2&a=%20');
    expect(requestTarget({ rawPath: '/v1/in', rawQueryString: '' })).toBe('/v1/in');
  });

  it('the body as bytes: text as UTF-8, binary decoded from base64, none as empty', () => {
    expect(rawBody({ body: 'ü', isBase64Encoded: false })).toEqual(Buffer.from([0xc3, 0xbc]));
    expect(rawBody({ body: Buffer.from([0, 255]).toString('base64'), isBase64Encoded: true })).toEqual(
      Buffer.from([0, 255]),
    );
    expect(rawBody({ isBase64Encoded: false })).toEqual(Buffer.alloc(0));
  });
});

describe('the per-client limit', () => {
  const clock = { now: () => new Date(0) };
  const take = (limiter: RateLimiter, headers: Record<string, string> | undefined) =>
    // biome-ignore lint/style/noNonNullAssertion: limitPerClient always defines before
    limitPerClient(limiter).before!({ event: { headers } as APIGatewayProxyEventV2 } as never);

  it('a missing X-AUTH-CLIENT and an empty one are one client; a named one has its own bucket', () => {
    const limiter = new RateLimiter(clock, 1, 1);
    expect(() => take(limiter, undefined)).not.toThrow();
    expect(() => take(limiter, { 'x-auth-client': '' })).toThrow(RateLimitedError);
    expect(() => take(limiter, { 'x-auth-client': 'ak_other' })).not.toThrow();
  });

  it('says the limit is per integration and when to retry', () => {
    const limiter = new RateLimiter(clock, 1, 1);
    take(limiter, { 'x-auth-client': 'ak_busy' });
    expect(() => take(limiter, { 'x-auth-client': 'ak_busy' })).toThrow(
      /^Too many requests for this integration/,
    );
  });
});
