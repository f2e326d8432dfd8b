import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { DomainError, RateLimitedError } from '../domain/errors.js';
import type { RateLimiter } from '../domain/rate-limiter.js';
import { HEADERS } from '../domain/signature.js';
import { failureMessage, type SigningService, type VerifyResult } from '../domain/signing-service.js';

export type VerifiedClient = Extract<VerifyResult, { valid: true }>;
export type SignedContext = Context & { client?: VerifiedClient };

/** The raw bytes the client signed: API Gateway hands text bodies over as-is and binary ones as base64. */
export function rawBody(event: Pick<APIGatewayProxyEventV2, 'body' | 'isBase64Encoded'>): Buffer {
  if (event.body === undefined) return Buffer.alloc(0);
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
}

/** The path and query the client called, as it sent them (what the timestamped MAC covers). */
export function requestTarget(event: Pick<APIGatewayProxyEventV2, 'rawPath' | 'rawQueryString'>): string {
  return event.rawQueryString ? `${event.rawPath}?${event.rawQueryString}` : event.rawPath;
}

/**
 * A per-integration limit on a public signed route, before any work: 429 in the error shape, with the
 * wait. Keyed by the X-AUTH-CLIENT the caller names (verified or not: the route does the same work).
 */
export function limitPerClient(
  limiter: RateLimiter,
): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, SignedContext> {
  return {
    before: (request) => {
      const client = request.event.headers?.[HEADERS.client] ?? '';
      const verdict = limiter.take(client);
      if (!verdict.allowed) {
        throw new RateLimitedError(verdict.retryAfterSeconds, 'Too many requests for this integration');
      }
    },
  };
}

/**
 * The signature rule as a middy middleware, for any HTTP handler that integrations call. An API
 * Gateway authorizer never sees the body, so this is where a body signature can be checked. On success
 * `context.client` names the account, integration and key; on failure the request ends with 401 (503
 * when verification could not run), and the handler never runs.
 */
export function requireSignature(
  service: SigningService,
): MiddlewareObj<APIGatewayProxyEventV2, unknown, Error, SignedContext> {
  return {
    before: async (request) => {
      const headers = request.event.headers ?? {};
      const result = await service.verify({
        apiKey: headers[HEADERS.client],
        signature: headers[HEADERS.signature],
        timestamp: headers[HEADERS.timestamp],
        body: rawBody(request.event),
        method: request.event.requestContext.http.method,
        path: requestTarget(request.event),
      });
      if (!result.valid) {
        throw new DomainError(result.retryable ? 503 : 401, result.reason, failureMessage(result.reason));
      }
      request.context.client = result;
    },
  };
}
