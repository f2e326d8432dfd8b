import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { UnauthorizedError } from '../domain/errors.js';
import type { Actor, Role } from '../domain/model.js';

type Claims = Record<string, string | number | boolean | string[]>;
const ROLES: readonly Role[] = ['admin', 'viewer'];
const ACCOUNT_PATTERN = /^[A-Za-z0-9._:@-]{1,128}$/;

/**
 * API Gateway's JWT authorizer hands claims over as strings; an array claim arrives as "[a b]". Accept
 * that, a JSON array, or a space/comma separated list.
 */
export function parseRoles(value: Claims[string] | undefined): Role[] {
  if (value === undefined) return [];
  let items: string[];
  if (Array.isArray(value)) {
    items = value;
  } else {
    const text = String(value).trim();
    try {
      const parsed: unknown = JSON.parse(text);
      items = Array.isArray(parsed) ? parsed.map(String) : [text];
    } catch {
      items = text.replace(/^\[|\]$/g, '').split(/[\s,]+/);
    }
  }
  return ROLES.filter((role) => items.includes(role));
}

function claim(claims: Claims, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

export function actorFromEvent(event: APIGatewayProxyEventV2WithJWTAuthorizer): Actor {
  const claims = (event.requestContext.authorizer?.jwt?.claims ?? {}) as Claims;
  const userId = claim(claims, 'sub');
  const accountId = claim(claims, 'account_id', 'custom:account_id');
  if (!userId || !accountId || !ACCOUNT_PATTERN.test(accountId)) {
    throw new UnauthorizedError('The token must carry sub and account_id claims.');
  }
  const roles = parseRoles(claims.roles ?? claims['custom:roles'] ?? claims['cognito:groups']);
  return {
    accountId,
    userId,
    roles,
    requestId: event.requestContext.requestId,
    sourceIp: event.requestContext.http.sourceIp,
  };
}
