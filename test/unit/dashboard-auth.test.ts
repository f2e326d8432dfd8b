/// <reference lib="dom" />
import { describe, expect, it } from 'vitest';
import { sessionFromToken } from '../../web/src/api.js';
import { pkceChallenge } from '../../web/src/auth.js';

describe('the dashboard sign-in helpers', () => {
  it('derives the PKCE S256 challenge of RFC 7636, appendix B', async () => {
    expect(await pkceChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe(
      'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    );
  });

  it('reads who is signed in from the local issuer and from Cognito ID tokens alike', () => {
    const token = (claims: Record<string, unknown>) =>
      `h.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.s`;
    expect(sessionFromToken(token({ sub: 'alice', account_id: 'acme', roles: ['admin'] }))).toMatchObject({
      account: 'acme',
      user: 'alice',
      roles: ['admin'],
    });
    expect(
      sessionFromToken(token({ sub: 'u-1', email: 'vic@example.com', account_id: 'acme', roles: 'viewer' })),
    ).toMatchObject({ user: 'vic@example.com', roles: ['viewer'] });
  });
});
