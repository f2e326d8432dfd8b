import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { jwtVerify, SignJWT } from 'jose';
import { ROOT } from './dynamodb-local.js';

/**
 * The local stand-in for the API's JWT authorizer. Tokens are HS256 with a per-checkout secret kept in
 * the git-ignored .local/ folder (or LOCAL_JWT_SECRET), so `npm run token` and `npm start` agree.
 */
export const LOCAL_ISSUER = 'shared-secret-keys-local';
export const LOCAL_AUDIENCE = 'shared-secret-keys';

export function localJwtSecret(): Uint8Array {
  const fromEnv = process.env.LOCAL_JWT_SECRET;
  if (fromEnv) return new TextEncoder().encode(fromEnv);
  const dir = join(ROOT, '.local');
  const file = join(dir, 'dev-jwt-secret');
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return new TextEncoder().encode(readFileSync(file, 'utf8').trim());
}

export interface TokenRequest {
  account: string;
  user: string;
  roles: string[];
  expiresIn?: string;
}

export function issueToken(secret: Uint8Array, { account, user, roles, expiresIn = '12h' }: TokenRequest) {
  return new SignJWT({ account_id: account, roles })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(user)
    .setIssuer(LOCAL_ISSUER)
    .setAudience(LOCAL_AUDIENCE)
    .setIssuedAt()
    .setExpirationTime(expiresIn)
    .sign(secret);
}

/** Verifies like API Gateway's JWT authorizer and hands the claims over the way it does: as strings. */
export async function verifyToken(
  secret: Uint8Array,
  authorization: string | undefined,
): Promise<Record<string, string> | undefined> {
  const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
  if (!match?.[1]) return undefined;
  try {
    const { payload } = await jwtVerify(match[1], secret, {
      issuer: LOCAL_ISSUER,
      audience: LOCAL_AUDIENCE,
      algorithms: ['HS256'],
    });
    const claims: Record<string, string> = {};
    for (const [name, value] of Object.entries(payload)) {
      claims[name] = Array.isArray(value) ? `[${value.join(' ')}]` : String(value);
    }
    return claims;
  } catch {
    return undefined;
  }
}
