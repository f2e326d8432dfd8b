import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { requireEnv } from '../config.js';
import { parseRoles } from '../domain/access.js';
import { UnauthorizedError } from '../domain/errors.js';
import type { Actor } from '../domain/model.js';

export { parseRoles };

type Claims = Record<string, unknown>;

/**
 * What an identity may look like, in one place. An account id is at most 64 characters of
 * A-Z a-z 0-9 . _ : @ -; a user id (`sub`) at most 128 printable characters, no control characters.
 */
export const CLAIM_LIMITS = { accountId: 64, userId: 128 } as const;

/** The documented shapes of an account id and a user id (see CLAIM_LIMITS). */
function wellFormed(accountId: string, userId: string): boolean {
  return (
    new RegExp(`^[A-Za-z0-9._:@-]{1,${CLAIM_LIMITS.accountId}}$`).test(accountId) &&
    new RegExp(`^[^\\u0000-\\u001f\\u007f-\\u009f]{1,${CLAIM_LIMITS.userId}}$`, 'u').test(userId)
  );
}

function claim(claims: Claims, ...names: string[]): string | undefined {
  for (const name of names) {
    const value = claims[name];
    if (typeof value === 'string' && value !== '') return value;
  }
  return undefined;
}

/** The actor a verified token's claims name; the request context only adds where the call came from. */
export function actorFromClaims(
  claims: Claims,
  event: Pick<APIGatewayProxyEventV2, 'requestContext'>,
): Actor {
  const userId = claim(claims, 'sub');
  const accountId = claim(claims, 'account_id', 'custom:account_id');
  if (!userId || !accountId || !wellFormed(accountId, userId)) {
    throw new UnauthorizedError(
      `The token must carry sub (at most ${CLAIM_LIMITS.userId} characters) and account_id (at most ${CLAIM_LIMITS.accountId} of A-Z a-z 0-9 . _ : @ -).`,
    );
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

type Verifier = { verify(token: string): Promise<Claims> };

/**
 * The handlers' own check of the caller's JWT, with the authorizer's issuer and audience. API Gateway's
 * authorizer checks it too, but anyone allowed to invoke a function directly could hand it any event:
 * identity comes only from a token verified here. Signing keys come from the issuer's JWKS (fetched
 * once per container and cached), or from JWT_JWKS when the deployment pins them (the local runtime
 * does, for its own issuer).
 */
export function createTokenVerifier(env: NodeJS.ProcessEnv = process.env): Verifier {
  const issuer = requireEnv('JWT_ISSUER', env);
  const audience = requireEnv('JWT_AUDIENCE', env).split(',');
  // Unset or empty: the issuer's own `/.well-known/jwks.json` (only an absent jwksUri means that; undefined does not).
  const jwksUri = env.JWT_JWKS_URI ? { jwksUri: env.JWT_JWKS_URI } : {};
  const created = JwtVerifier.create({ issuer, audience, ...jwksUri });
  if (env.JWT_JWKS) created.cacheJwks(JSON.parse(env.JWT_JWKS));
  return { verify: (token) => created.verify(token) as Promise<Claims> };
}

/** One per container: its JWKS cache lives as long as the module does. */
let verifier: Verifier | undefined;
const tokenVerifier = () => {
  verifier ??= createTokenVerifier();
  return verifier;
};

/** The caller, from the bearer token in the Authorization header, verified here; nothing else is trusted. */
export async function verifiedActor(
  event: Pick<APIGatewayProxyEventV2, 'headers' | 'requestContext'>,
): Promise<Actor> {
  // Stryker disable next-line StringLiteral: any text that is not a bearer header fails the pattern as '' does
  const token = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? '')?.[1];
  if (!token) throw new UnauthorizedError();
  let claims: Claims;
  try {
    claims = await tokenVerifier().verify(token);
  } catch {
    throw new UnauthorizedError('The bearer token is not valid or has expired; sign in again.');
  }
  return actorFromClaims(claims, event);
}
