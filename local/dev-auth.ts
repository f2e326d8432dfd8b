import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  jwtVerify,
  SignJWT,
} from 'jose';
import { ROOT } from '../infra/paths.js';

/**
 * The local token issuer, standing in for Cognito or the deployment's OIDC issuer. Tokens are ES256,
 * signed with a per-checkout key kept in the git-ignored .local/ folder (or LOCAL_JWT_KEY, a private
 * JWK as JSON), so `npm run token` and `npm start` agree. The handlers verify them with the very code
 * they run on AWS (aws-jwt-verify), given this issuer's public keys as JWT_JWKS.
 */
export const LOCAL_ISSUER = 'https://shared-secret-keys.local/issuer';
export const LOCAL_AUDIENCE = 'shared-secret-keys';

export interface LocalIssuer {
  sign(request: TokenRequest): Promise<string>;
  /** What the local server's authorizer stand-in checks first, as API Gateway's authorizer would. */
  verify(authorization: string | undefined): Promise<Record<string, string> | undefined>;
  /** The environment that makes the handlers accept this issuer's tokens. */
  env: { JWT_ISSUER: string; JWT_AUDIENCE: string; JWT_JWKS: string };
}

export interface TokenRequest {
  account: string;
  user: string;
  roles: string[];
  expiresIn?: string;
}

/** A new private key, as the JSON that LOCAL_JWT_KEY or .local/dev-jwt-key.json hold. */
export async function newLocalKey(): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}

async function localKeyJson(): Promise<string> {
  if (process.env.LOCAL_JWT_KEY) return process.env.LOCAL_JWT_KEY;
  const dir = join(ROOT, '.local');
  const file = join(dir, 'dev-jwt-key.json');
  mkdirSync(dir, { recursive: true });
  try {
    writeFileSync(file, await newLocalKey(), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  return readFileSync(file, 'utf8');
}

export async function localIssuer(keyJson?: string): Promise<LocalIssuer> {
  const jwk = JSON.parse(keyJson ?? (await localKeyJson())) as JWK;
  const { d: _private, ...publicJwk } = jwk;
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateKey = await importJWK(jwk, 'ES256');
  const publicKey = await importJWK(publicJwk, 'ES256');
  return {
    sign: ({ account, user, roles, expiresIn = '12h' }) =>
      new SignJWT({ account_id: account, roles })
        .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid })
        .setSubject(user)
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setIssuedAt()
        .setExpirationTime(expiresIn)
        .sign(privateKey),
    async verify(authorization) {
      const match = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!match?.[1]) return undefined;
      try {
        const { payload } = await jwtVerify(match[1], publicKey, {
          issuer: LOCAL_ISSUER,
          audience: LOCAL_AUDIENCE,
          algorithms: ['ES256'],
        });
        // Handed over the way API Gateway's authorizer does: as strings.
        const claims: Record<string, string> = {};
        for (const [name, value] of Object.entries(payload)) {
          claims[name] = Array.isArray(value) ? `[${value.join(' ')}]` : String(value);
        }
        return claims;
      } catch {
        return undefined;
      }
    },
    env: {
      JWT_ISSUER: LOCAL_ISSUER,
      JWT_AUDIENCE: LOCAL_AUDIENCE,
      JWT_JWKS: JSON.stringify({ keys: [{ ...publicJwk, kid, alg: 'ES256', use: 'sig' }] }),
    },
  };
}
