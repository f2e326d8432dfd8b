import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNoSecretsLogged, type RunningServer, startLocalServer } from '../support/local-server.js';

/** Keys keep working, over HTTP: the self-test route, the internal operations, rotation. */
let server: RunningServer;
let admin: string;
let integrationId: string;
let apiKey: string;
let keyId: string;
let secret: string;
const secrets: string[] = [];

const hmac = (key: string, payload: string) => createHmac('sha256', key).update(payload).digest('hex');

beforeAll(async () => {
  server = await startLocalServer();
  admin = await server.token('sigs', 'alice');
  const created = (await (
    await server.request('/integrations', { method: 'POST', token: admin, json: { name: 'Signed' } })
  ).json()) as { integration: { id: string; apiKey: string }; key: { id: string } };
  integrationId = created.integration.id;
  apiKey = created.integration.apiKey;
  keyId = created.key.id;
  const revealed = (await (
    await server.request(`/integrations/${integrationId}/keys/${keyId}/reveal`, {
      method: 'POST',
      token: admin,
    })
  ).json()) as { secret: string };
  secret = revealed.secret;
  secrets.push(secret);
}, 90_000);

afterAll(async () => {
  await server.interrupt();
});

function check(body: string, headers: Record<string, string>) {
  return server.request('/v1/signature-check', {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

describe('POST /v1/signature-check', () => {
  it('answers 200 with the key for a correctly signed request, no JWT needed', async () => {
    const body = '{"ping":true}';
    const response = await check(body, { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(secret, body) });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ valid: true, keyId, keyName: 'Auto-generated key' });
  });

  it('verifies binary bodies over their raw bytes', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    const signature = createHmac('sha256', secret).update(bytes).digest('hex');
    const response = await server.request('/v1/signature-check', {
      method: 'POST',
      body: bytes,
      headers: {
        'content-type': 'application/octet-stream',
        'x-auth-client': apiKey,
        'x-hmac-signature': signature,
      },
    });
    expect(response.status).toBe(200);
  });

  it.each([
    ['no headers', {}, 'missing_headers'],
    [
      'an unknown client',
      { 'x-auth-client': 'ak_0000000000000000000000', 'x-hmac-signature': 'a'.repeat(64) },
      'unknown_client',
    ],
    ['a bad signature', { 'x-hmac-signature': 'a'.repeat(64) }, 'bad_signature'],
    [
      'a stale timestamp',
      { 'x-auth-timestamp': '1000000000', 'x-hmac-signature': 'a'.repeat(64) },
      'stale_timestamp',
    ],
  ])('answers 401 with a reason for %s', async (_, headers, code) => {
    const response = await check('{}', { 'x-auth-client': apiKey, ...headers });
    expect(response.status).toBe(401);
    const { error } = (await response.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe(code);
    expect(error.message.length).toBeGreaterThan(10);
  });
});

describe('internal operations on loopback', () => {
  it('sign-webhook headers pass verify-signature and the self-test route', async () => {
    const payload = JSON.stringify({ type: 'session.approved' });
    const signed = (await (
      await fetch(`${server.url}/internal/sign-webhook`, {
        method: 'POST',
        body: JSON.stringify({ integrationId, payload }),
      })
    ).json()) as { headers: Record<string, string> };
    expect(signed.headers['X-AUTH-CLIENT']).toBe(apiKey);
    expect(signed.headers['X-HMAC-SIGNATURE']).toBe(hmac(secret, payload));
    expect(signed.headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/=]+$/);

    const verified = await (
      await fetch(`${server.url}/internal/verify-signature`, {
        method: 'POST',
        body: JSON.stringify({
          apiKey,
          signature: signed.headers['X-HMAC-SIGNATURE'],
          body: Buffer.from(payload).toString('base64'),
        }),
      })
    ).json();
    expect(verified).toEqual({ valid: true, accountId: 'sigs', integrationId, keyId });
  });

  it('answers bad input with a reason, not an exception', async () => {
    const verified = await (
      await fetch(`${server.url}/internal/verify-signature`, {
        method: 'POST',
        body: JSON.stringify({ apiKey }),
      })
    ).json();
    expect(verified).toMatchObject({
      valid: false,
      reason: 'invalid_request',
      message: expect.stringMatching(/signature/),
    });
    const signed = await (
      await fetch(`${server.url}/internal/sign-webhook`, {
        method: 'POST',
        body: JSON.stringify({ integrationId: 'x' }),
      })
    ).json();
    expect(signed).toMatchObject({ error: { code: 'invalid_request' } });
  });
});

describe('rotation over HTTP', () => {
  it('rotate returns the successor once; both keys verify in the overlap; revoke stops the old one at once', async () => {
    const response = await server.request(`/integrations/${integrationId}/keys/${keyId}/rotate`, {
      method: 'POST',
      token: admin,
      json: { overlapSeconds: 3600, name: 'Successor' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('cache-control')).toBe('no-store');
    const rotated = (await response.json()) as {
      key: { id: string; name: string };
      secret: string;
      previous: { status: string };
    };
    secrets.push(rotated.secret);
    expect(rotated.key.name).toBe('Successor');
    expect(rotated.previous.status).toBe('expiring');
    for (const key of [secret, rotated.secret]) {
      expect(
        (await check('{}', { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(key, '{}') })).status,
      ).toBe(200);
    }
    await server.request(`/integrations/${integrationId}/keys/${keyId}`, { method: 'DELETE', token: admin });
    const old = await check('{}', { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(secret, '{}') });
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: { code: string } }).error.code).toBe('key_revoked');

    const keys = (await (
      await server.request(`/integrations/${integrationId}/keys`, { token: admin })
    ).json()) as {
      items: { id: string; lastUsedAt: string | null }[];
    };
    expect(keys.items.find((k) => k.id === keyId)?.lastUsedAt).toEqual(expect.any(String));

    const audit = (await (
      await server.request(`/integrations/${integrationId}/audit`, { token: admin })
    ).json()) as {
      items: { action: string }[];
    };
    expect(audit.items.map((e) => e.action).slice(0, 3)).toEqual([
      'key.revoked',
      'key.rotated',
      'key.created',
    ]);
  });
});

describe('logs', () => {
  it('contain no secret', () => {
    assertNoSecretsLogged(server.output(), secrets, [admin]);
    expect(server.output()).toContain('"message":"request"');
  });
});
