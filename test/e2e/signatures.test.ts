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

const hmac = (key: string, payload: string | Buffer) =>
  createHmac('sha256', key).update(payload).digest('hex');
const now = () => String(Math.floor(Date.now() / 1000));
/** The timestamped headers, computed here as the README tells an integration to. */
function signed(key: string, body: string | Buffer, path = '/v1/signature-check', ts = now()) {
  const content = Buffer.concat([Buffer.from(`${ts}\nPOST\n${path}\n`), Buffer.from(body)]);
  return { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(key, content), 'x-auth-timestamp': ts };
}

beforeAll(async () => {
  // Many signed calls in a row here: the per-integration limit is tested on its own (test/unit).
  server = await startLocalServer({ SIGNATURE_CHECK_RATE_PER_SECOND: '1000', SIGNATURE_CHECK_BURST: '1000' });
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
    const response = await check(body, signed(secret, body));
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ valid: true, keyId, keyName: 'Auto-generated key' });
  });

  it('binds the signature to the path and query: the same signature on another path is refused', async () => {
    const body = '{"ping":true}';
    const response = await server.request('/v1/signature-check?x=1', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...signed(secret, body) },
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('bad_signature');
    const withQuery = await server.request('/v1/signature-check?x=1', {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', ...signed(secret, body, '/v1/signature-check?x=1') },
    });
    expect(withQuery.status).toBe(200);
  });

  it('refuses the untimestamped form unless the integration opts in to legacy signatures (PATCH, audited)', async () => {
    const body = '{"legacy":true}';
    const refused = await check(body, { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(secret, body) });
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('timestamp_required');
    const patched = await server.request(`/integrations/${integrationId}`, {
      method: 'PATCH',
      token: admin,
      json: { legacySignatures: true },
    });
    expect(patched.status).toBe(200);
    expect(await patched.json()).toMatchObject({ legacySignatures: true, updatedBy: 'alice' });
    const accepted = await check(body, { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(secret, body) });
    expect(accepted.status).toBe(200);
    await server.request(`/integrations/${integrationId}`, {
      method: 'PATCH',
      token: admin,
      json: { legacySignatures: false },
    });
    const again = await check(body, { 'x-auth-client': apiKey, 'x-hmac-signature': hmac(secret, body) });
    expect(again.status).toBe(401);
  });

  it('verifies binary bodies over their raw bytes', async () => {
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    const response = await server.request('/v1/signature-check', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/octet-stream', ...signed(secret, bytes) },
    });
    expect(response.status).toBe(200);
  });

  it('verifies a body that is not valid UTF-8 over its bytes, whatever its content type', async () => {
    const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0xc0, 0xaf, 0x7d]);
    for (const type of ['application/json', 'text/plain', 'application/octet-stream']) {
      const response = await server.request('/v1/signature-check', {
        method: 'POST',
        body: bytes,
        headers: { 'content-type': type, ...signed(secret, bytes) },
      });
      expect(response.status).toBe(200);
    }
  });

  it.each([
    ['no headers', {}, 'missing_headers'],
    [
      'an unknown client',
      { 'x-auth-client': 'ak_0000000000000000000000', 'x-hmac-signature': 'a'.repeat(64) },
      'unknown_client',
    ],
    ['a bad signature', { 'x-hmac-signature': 'a'.repeat(64), 'x-auth-timestamp': now() }, 'bad_signature'],
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
  it("verify-signature accepts an integration's signed call and names its account", async () => {
    const body = '{"order":1}';
    const headers = signed(secret, body, '/orders');
    const verified = await (
      await fetch(`${server.url}/internal/verify-signature`, {
        method: 'POST',
        body: JSON.stringify({
          apiKey,
          signature: headers['x-hmac-signature'],
          timestamp: headers['x-auth-timestamp'],
          method: 'POST',
          path: '/orders',
          body: Buffer.from(body).toString('base64'),
        }),
      })
    ).json();
    expect(verified).toEqual({ valid: true, accountId: 'sigs', integrationId, keyId });
  });

  it('no header sign-webhook returns is accepted as an inbound call, in any form, on any path', async () => {
    const payload = JSON.stringify({ type: 'session.approved' });
    for (const legacySignatures of [false, true]) {
      await server.request(`/integrations/${integrationId}`, {
        method: 'PATCH',
        token: admin,
        json: { legacySignatures },
      });
      const { headers } = (await (
        await fetch(`${server.url}/internal/sign-webhook`, {
          method: 'POST',
          body: JSON.stringify({ accountId: 'sigs', integrationId, payload }),
        })
      ).json()) as { headers: Record<string, string> };
      expect(headers['X-AUTH-CLIENT']).toBe(apiKey);
      expect(headers).not.toHaveProperty('X-HMAC-SIGNATURE');
      const id = headers['webhook-id'] ?? '';
      const ts = headers['webhook-timestamp'] ?? '';
      const content = `${id}.${ts}.${payload}`;
      const mac = Buffer.from((headers['webhook-signature'] ?? '').slice(3), 'base64').toString('hex');
      expect(mac).toBe(hmac(secret, content));
      for (const signature of [mac, (headers['webhook-signature'] ?? '').slice(3)]) {
        for (const [body, timestamp] of [
          [payload, undefined],
          [content, undefined],
          [payload, ts],
          [content, ts],
        ] as const) {
          const viaRoute = await check(body, {
            'x-auth-client': apiKey,
            'x-hmac-signature': signature,
            ...(timestamp ? { 'x-auth-timestamp': timestamp } : {}),
          });
          expect(viaRoute.status).toBe(401);
          const viaInternal = (await (
            await fetch(`${server.url}/internal/verify-signature`, {
              method: 'POST',
              body: JSON.stringify({
                apiKey,
                signature,
                ...(timestamp ? { timestamp } : {}),
                method: 'POST',
                path: '/v1/signature-check',
                body: Buffer.from(body).toString('base64'),
              }),
            })
          ).json()) as { valid: boolean };
          expect(viaInternal.valid).toBe(false);
        }
      }
    }
    await server.request(`/integrations/${integrationId}`, {
      method: 'PATCH',
      token: admin,
      json: { legacySignatures: false },
    });
  });

  it("sign-webhook refuses another account's integration as not found", async () => {
    const answer = await (
      await fetch(`${server.url}/internal/sign-webhook`, {
        method: 'POST',
        body: JSON.stringify({ accountId: 'someone-else', integrationId, payload: '{}' }),
      })
    ).json();
    expect(answer).toMatchObject({ error: { code: 'integration_not_found' } });
  });

  it('both internal operations answer bad input in one error shape, not an exception', async () => {
    const verified = await (
      await fetch(`${server.url}/internal/verify-signature`, {
        method: 'POST',
        body: JSON.stringify({ apiKey }),
      })
    ).json();
    expect(verified).toMatchObject({
      error: { code: 'invalid_request', message: expect.stringMatching(/signature/) },
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
      expect((await check('{}', signed(key, '{}'))).status).toBe(200);
    }
    await server.request(`/integrations/${integrationId}/keys/${keyId}`, { method: 'DELETE', token: admin });
    // Locally one process serves everything, so the revoke reaches its verifications at once.
    const old = await check('{}', signed(secret, '{}'));
    expect(old.status).toBe(401);
    expect(((await old.json()) as { error: { code: string } }).error.code).toBe('bad_signature');

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
