import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { UnauthorizedError } from '../../shared/domain/errors.js';
import { actorFromEvent, parseRoles } from '../../shared/http/identity.js';

function event(claims: Record<string, string>): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    requestContext: {
      requestId: 'r-1',
      http: { sourceIp: '203.0.113.9' },
      authorizer: { jwt: { claims, scopes: [] } },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

describe('identity from JWT claims', () => {
  it.each([
    ['[admin viewer]', ['admin', 'viewer']],
    ['[admin]', ['admin']],
    ['["viewer"]', ['viewer']],
    ['admin,viewer', ['admin', 'viewer']],
    ['viewer', ['viewer']],
    ['[superuser]', []],
  ])('reads roles claim %s as API Gateway passes it', (claim, roles) => {
    expect(parseRoles(claim)).toEqual(roles);
  });

  it('builds the actor from sub, account_id, roles, request id and source IP', () => {
    expect(actorFromEvent(event({ sub: 'u1', account_id: 'acme', roles: '[admin]' }))).toEqual({
      accountId: 'acme',
      userId: 'u1',
      roles: ['admin'],
      requestId: 'r-1',
      sourceIp: '203.0.113.9',
    });
  });

  it("accepts Cognito's custom:account_id and cognito:groups", () => {
    const actor = actorFromEvent(
      event({ sub: 'u1', 'custom:account_id': 'acme', 'cognito:groups': '[viewer]' }),
    );
    expect(actor.accountId).toBe('acme');
    expect(actor.roles).toEqual(['viewer']);
  });

  it('refuses a token without an account or subject, or with a malformed account id', () => {
    expect(() => actorFromEvent(event({ sub: 'u1' }))).toThrow(UnauthorizedError);
    expect(() => actorFromEvent(event({ account_id: 'acme' }))).toThrow(UnauthorizedError);
    expect(() => actorFromEvent(event({ sub: 'u1', account_id: 'a b/c' }))).toThrow(UnauthorizedError);
  });
});
