import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { SignJWT } from 'jose';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalIssuer, localIssuer, newLocalKey } from '../../local/dev-auth.js';
import { UnauthorizedError } from '../../shared/domain/errors.js';
import {
  actorFromClaims,
  createTokenVerifier,
  parseRoles,
  verifiedActor,
} from '../../shared/http/identity.js';

const context = {
  requestContext: { requestId: 'r-1', http: { sourceIp: '203.0.113.9' } },
} as APIGatewayProxyEventV2;

describe('identity from verified claims', () => {
  it.each([
    ['[admin viewer]', ['admin', 'viewer']],
    ['[admin]', ['admin']],
    ['["viewer"]', ['viewer']],
    ['admin,viewer', ['admin', 'viewer']],
    ['viewer', ['viewer']],
    ['[superuser]', []],
    // The edges (mutation testing found them unheld): absent, non-strings, brackets only at the ends.
    [undefined, []],
    [null, []],
    [['admin', 7], ['admin']],
    ['adm[in', []],
    ['adm]in', []],
    ['[admin', ['admin']],
    ['viewer]', ['viewer']],
    ['admin viewer', ['admin', 'viewer']],
    ['  [viewer]  ', ['viewer']],
    ['"admin"', []],
  ])('reads roles claim %s as API Gateway passes it', (claim, roles) => {
    expect(parseRoles(claim)).toEqual(roles);
  });

  it('builds the actor from sub, account_id, roles, request id and source IP', () => {
    expect(actorFromClaims({ sub: 'u1', account_id: 'acme', roles: ['admin'] }, context)).toEqual({
      accountId: 'acme',
      userId: 'u1',
      roles: ['admin'],
      requestId: 'r-1',
      sourceIp: '203.0.113.9',
    });
  });

  it("accepts Cognito's custom:account_id and cognito:groups", () => {
    const actor = actorFromClaims(
      { sub: 'u1', 'custom:account_id': 'acme', 'cognito:groups': ['viewer'] },
      context,
    );
    expect(actor.accountId).toBe('acme');
    expect(actor.roles).toEqual(['viewer']);
  });

  it('refuses a token without an account or subject, or with ids beyond their documented limits', () => {
    for (const claims of [
      { sub: 'u1' },
      { account_id: 'acme' },
      { sub: 'u1', account_id: 'a b/c' },
      { sub: 'u1', account_id: 'a'.repeat(65) },
      { sub: 'u'.repeat(129), account_id: 'acme' },
      { sub: 'u\u0000', account_id: 'acme' },
    ]) {
      expect(() => actorFromClaims(claims, context)).toThrow(UnauthorizedError);
    }
    expect(
      actorFromClaims({ sub: 'u'.repeat(128), account_id: 'a'.repeat(64) }, context).userId,
    ).toHaveLength(128);
  });

  it('counts a user id in characters, not UTF-16 units, and allows every character outside the control ranges', () => {
    const emoji = '\u{1F511}'.repeat(128); // 128 characters, 256 UTF-16 units
    expect(actorFromClaims({ sub: emoji, account_id: 'acme' }, context).userId).toBe(emoji);
    expect(actorFromClaims({ sub: 'a.b:c@d-e_f', account_id: 'A-z.0_9:x@y' }, context).accountId).toBe(
      'A-z.0_9:x@y',
    );
    for (const sub of ['u\u001f', 'u\u007f', 'u\u009f']) {
      expect(() => actorFromClaims({ sub, account_id: 'acme' }, context)).toThrow(UnauthorizedError);
    }
    expect(actorFromClaims({ sub: 'u\u00a0', account_id: 'acme' }, context).userId).toBe('u\u00a0');
  });

  it('takes only non-empty string claims, falling back to the next name', () => {
    expect(
      actorFromClaims({ sub: 'u1', account_id: '', 'custom:account_id': 'acme' }, context).accountId,
    ).toBe('acme');
    for (const claims of [
      { sub: 7, account_id: 'acme' },
      { sub: 'u1', account_id: ['acme'] },
    ]) {
      expect(() => actorFromClaims(claims, context)).toThrow(UnauthorizedError);
    }
  });

  it('reads roles from roles, then custom:roles, then cognito:groups', () => {
    const roles = (claims: Record<string, unknown>) =>
      actorFromClaims({ sub: 'u1', account_id: 'acme', ...claims }, context).roles;
    expect(roles({ 'custom:roles': 'admin' })).toEqual(['admin']);
    expect(roles({ roles: 'viewer', 'custom:roles': 'admin' })).toEqual(['viewer']);
    expect(roles({ 'custom:roles': 'viewer', 'cognito:groups': ['admin'] })).toEqual(['viewer']);
  });

  it('says what the token must carry', () => {
    expect(() => actorFromClaims({ sub: 'u1' }, context)).toThrow(
      'The token must carry sub (at most 128 characters) and account_id (at most 64 of A-Z a-z 0-9 . _ : @ -).',
    );
  });
});

describe('the handlers verify the caller themselves', () => {
  let issuer: LocalIssuer;
  let other: LocalIssuer;
  beforeAll(async () => {
    issuer = await localIssuer(await newLocalKey());
    other = await localIssuer(await newLocalKey());
    for (const [name, value] of Object.entries(issuer.env)) vi.stubEnv(name, value);
  });
  const withToken = (token: string | undefined, claims?: Record<string, string>) =>
    ({
      headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
      requestContext: {
        ...context.requestContext,
        // What a forger would put where API Gateway's authorizer puts claims: never read.
        authorizer: { jwt: { claims: claims ?? { sub: 'mallory', account_id: 'victim', roles: '[admin]' } } },
      },
    }) as unknown as APIGatewayProxyEventV2;

  it('takes identity from a token it verified, never from the event claims', async () => {
    const token = await issuer.sign({ account: 'acme', user: 'alice', roles: ['admin'] });
    await expect(verifiedActor(withToken(token))).resolves.toMatchObject({
      accountId: 'acme',
      userId: 'alice',
    });
  });

  it('reads only "Bearer <token>": any prefix, trailing text or other scheme is refused', async () => {
    const token = await issuer.sign({ account: 'acme', user: 'alice', roles: ['viewer'] });
    const withAuthorization = (authorization: string) =>
      ({ ...withToken(undefined), headers: { authorization } }) as unknown as APIGatewayProxyEventV2;
    await expect(verifiedActor(withAuthorization(`bearer   ${token}`))).resolves.toMatchObject({
      userId: 'alice',
    });
    for (const authorization of [`Basic Bearer ${token}`, `Bearer ${token} extra`, token, `Bearer`]) {
      await expect(verifiedActor(withAuthorization(authorization))).rejects.toBeInstanceOf(UnauthorizedError);
    }
    const noHeaders = { requestContext: context.requestContext } as unknown as APIGatewayProxyEventV2;
    await expect(verifiedActor(noHeaders)).rejects.toBeInstanceOf(UnauthorizedError);
  });

  it('tells a caller with a bad token to sign in again', async () => {
    const foreign = await other.sign({ account: 'acme', user: 'alice', roles: ['admin'] });
    await expect(verifiedActor(withToken(foreign))).rejects.toThrow(
      'The bearer token is not valid or has expired; sign in again.',
    );
  });

  it("fetches the issuer's keys from JWT_JWKS_URI when set, else from the issuer's well-known JWKS", async () => {
    // Nothing listens at either address here: the fetch error names the address the verifier used.
    const token = await issuer.sign({ account: 'acme', user: 'alice', roles: ['viewer'] });
    const env = { JWT_ISSUER: issuer.env.JWT_ISSUER, JWT_AUDIENCE: issuer.env.JWT_AUDIENCE };
    const pinnedUri = 'https://127.0.0.1:9/keys.json';
    await expect(createTokenVerifier({ ...env, JWT_JWKS_URI: pinnedUri }).verify(token)).rejects.toThrow(
      pinnedUri,
    );
    await expect(createTokenVerifier(env).verify(token)).rejects.toThrow(
      `${issuer.env.JWT_ISSUER}/.well-known/jwks.json`,
    );
    await expect(
      createTokenVerifier({ ...env, JWT_JWKS: issuer.env.JWT_JWKS }).verify(token),
    ).resolves.toMatchObject({
      sub: 'alice',
    });
  });

  it('refuses a forged event, another issuer, an expired token and alg none', async () => {
    const forged = await verifiedActor(withToken(undefined)).catch((error: unknown) => error);
    expect(forged).toBeInstanceOf(UnauthorizedError);
    const foreign = await other.sign({ account: 'victim', user: 'mallory', roles: ['admin'] });
    await expect(verifiedActor(withToken(foreign))).rejects.toBeInstanceOf(UnauthorizedError);
    const expired = await issuer.sign({ account: 'acme', user: 'alice', roles: ['admin'], expiresIn: '-1m' });
    await expect(verifiedActor(withToken(expired))).rejects.toBeInstanceOf(UnauthorizedError);
    const unsigned = await new SignJWT({ account_id: 'victim', roles: ['admin'] })
      .setProtectedHeader({ alg: 'none' } as never)
      .setSubject('mallory')
      .setIssuer(issuer.env.JWT_ISSUER)
      .setAudience(issuer.env.JWT_AUDIENCE)
      .setExpirationTime('1h')
      .sign(new Uint8Array(32))
      .catch(() => {
        const part = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        return `${part({ alg: 'none', typ: 'JWT' })}.${part({ sub: 'mallory', account_id: 'victim', iss: issuer.env.JWT_ISSUER, aud: issuer.env.JWT_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 3600 })}.`;
      });
    await expect(verifiedActor(withToken(unsigned))).rejects.toBeInstanceOf(UnauthorizedError);
  });
});
