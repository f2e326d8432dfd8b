import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { apiGatewayEvent } from '../../local/api-event.js';
import { localIssuer, newLocalKey } from '../../local/dev-auth.js';
import { routes } from '../../shared/routes.js';
import { stubOfflineFunctionEnv } from '../support/engines.js';

/**
 * Invariant 10: anyone allowed to invoke a function directly can hand it any event, claims included.
 * Every dashboard handler must answer such an event 401 before it touches anything. The list of
 * handlers is the route table's, so a new route cannot be left out.
 */
type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;

beforeAll(async () => {
  stubOfflineFunctionEnv();
  const issuer = await localIssuer(await newLocalKey());
  for (const [name, value] of Object.entries(issuer.env)) vi.stubEnv(name, value);
});

const forged = (route: (typeof routes)[number], authorization?: string) =>
  apiGatewayEvent({
    method: route.method,
    path: route.path,
    params: { integrationId: 'int_01M8STXNSD0WK015E9HDB2KRD3', keyId: 'key_01M8STXNSD4ZY5FGN1KN4W6R3F' },
    headers: { 'content-type': 'application/json', ...(authorization ? { authorization } : {}) },
    body: '{"name":"x"}',
    sourceIp: '198.51.100.7',
    // Exactly what API Gateway's authorizer would have put there for a real admin of "victim".
    claims: { sub: 'mallory', account_id: 'victim', roles: '[admin]' },
  });

describe('a forged event gets nothing', () => {
  const guarded = routes.filter((route) => !route.public);
  const handlers = new Map<string, Handler>();
  // Loaded before any test, so what a module does while loading belongs to no one test.
  beforeAll(async () => {
    for (const route of guarded) {
      handlers.set(
        route.handler,
        ((await import(`../../functions/${route.handler}.ts`)) as { handler: Handler }).handler,
      );
    }
  });
  it.each(guarded.map((route) => [`${route.method} ${route.path}`, route] as const))(
    '%s answers 401 to claims without a token it can verify',
    async (_, route) => {
      const handler = handlers.get(route.handler) as Handler;
      const context = { awsRequestId: randomUUID(), functionName: route.handler };
      for (const authorization of [undefined, 'Bearer not.a.token', 'Basic bWFsbG9yeTp4']) {
        const response = await handler(forged(route, authorization), context);
        expect(response.statusCode).toBe(401);
        expect(JSON.parse(response.body).error.code).toBe('unauthorized');
      }
    },
  );
});
