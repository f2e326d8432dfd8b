import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { IntegrationCreated, KeyList, SecretResponse } from '../../shared/http/response-schemas.js';
import { routes } from '../../shared/routes.js';
import { assertNoSecretsLogged, type RunningServer, startLocalServer } from '../support/local-server.js';

/**
 * Black-box tests of the local server (`npm start`'s runtime) over HTTP: every route and error, the
 * show-once guarantee under races and KMS failures, tenant isolation, and no secret in any log line.
 */
let server: RunningServer;
let admin: string;
let admin2: string;
let viewer: string;
let outsider: string;
/** Every secret any response returned: none may ever appear in the server's output. */
const secretsSeen: string[] = [];

let tempBefore: string[] = [];

beforeAll(async () => {
  tempBefore = readdirSync(tmpdir());
  server = await startLocalServer();
  [admin, admin2, viewer, outsider] = await Promise.all([
    server.token('acme', 'alice'),
    server.token('acme', 'bob'),
    server.token('acme', 'vic', 'viewer'),
    server.token('evil', 'mallory'),
  ]);
}, 90_000);

afterAll(async () => {
  if (server.child.exitCode === null) await server.interrupt();
});

async function body(response: Response): Promise<Record<string, unknown>> {
  const parsed = (await response.json()) as Record<string, unknown>;
  if (typeof parsed.secret === 'string') secretsSeen.push(parsed.secret);
  return parsed;
}

function expectError(payload: Record<string, unknown>, code: string) {
  const error = payload.error as { code: unknown; message: unknown };
  expect(error.code).toBe(code);
  expect(typeof error.message).toBe('string');
  expect(String(error.message).length).toBeGreaterThan(5);
  expect(JSON.stringify(payload)).not.toMatch(/at .+\.ts:\d+|stack/i);
}

async function createIntegration(token = admin, name = 'Backend') {
  const response = await server.request('/integrations', { method: 'POST', token, json: { name } });
  expect(response.status).toBe(201);
  return z.parse(IntegrationCreated, await body(response));
}

describe('public routes', () => {
  it('GET /health answers 200 without a token', async () => {
    const response = await server.request('/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('GET /openapi.json describes every route as OpenAPI 3.1', async () => {
    const response = await server.request('/openapi.json');
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    expect(document.openapi).toBe('3.1.0');
    for (const route of routes)
      expect(document.paths[route.path]?.[route.method.toLowerCase()]).toBeDefined();
  });
});

describe('what the gateway answers before any function runs', () => {
  it('a broken percent-escape in any path parameter is a 400 in the error shape, before the token is looked at', async () => {
    const withParams = routes.filter((route) => route.path.includes('{'));
    expect(withParams.length).toBeGreaterThan(5);
    for (const route of withParams) {
      for (const bad of ['%ff', '%', '%C0%AF', '%E0%A4%A']) {
        const path = route.path.replace(/\{\w+\}/g, bad);
        const response = await server.request(path, { method: route.method });
        const label = `${route.method} ${path}`;
        expect(response.status, label).toBe(400);
        expectError(await body(response), 'invalid_request');
      }
    }
  });

  it('a body over 10 MB is a 413 in the error shape', async () => {
    const response = await server.request('/integrations', {
      method: 'POST',
      token: admin,
      headers: { 'content-type': 'application/json' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(response.status).toBe(413);
    expectError(await body(response), 'payload_too_large');
  });

  it('unknown paths and methods, dot segments, HEAD and OPTIONS answer as API Gateway does', async () => {
    // Sent as written: fetch would resolve the dot segments before sending.
    const raw = (method: string, path: string) =>
      new Promise<{ status: number; text: string }>((resolve, reject) => {
        const target = new URL(server.url);
        const req = httpRequest({ host: target.hostname, port: target.port, method, path }, (res) => {
          let text = '';
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString('utf8');
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        });
        req.on('error', reject);
        req.end();
      });
    for (const [method, path] of [
      ['GET', '/nope'],
      ['PUT', '/integrations'],
      ['DELETE', '/health'],
      ['GET', '/integrations/../health'],
      ['GET', '/integrations/%2e%2e/health'],
      ['GET', '/./health'],
    ] as const) {
      const response = await raw(method, path);
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(JSON.parse(response.text)).toEqual({ message: 'Not Found' });
    }
    const head = await server.request('/health', { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const preflight = await server.request('/integrations', {
      method: 'OPTIONS',
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('authentication and roles', () => {
  it('every non-public route answers 401 without a token or with a bad one', async () => {
    for (const route of routes.filter((r) => !r.public)) {
      const path = route.path
        .replace('{integrationId}', 'int_01M8STXNSD0WK015E9HDB2KRD3')
        .replace('{keyId}', 'key_01M8STXNSD4ZY5FGN1KN4W6R3F');
      for (const token of [undefined, 'not-a-jwt', `${admin.slice(0, -3)}abc`]) {
        const response = await server.request(path, { method: route.method, token });
        expect(response.status, `${route.method} ${route.path}`).toBe(401);
      }
    }
  });

  it('a viewer gets 403 on every write and on reveal, and may read every GET: every route of the table', async () => {
    const { integration, key } = await createIntegration();
    const routeList = routes.filter((route) => !route.public);
    const fill = (path: string) => path.replace('{integrationId}', integration.id).replace('{keyId}', key.id);
    for (const route of routeList) {
      const label = `${route.method} ${route.path}`;
      const response = await server.request(fill(route.path), {
        method: route.method,
        token: viewer,
        json: route.method === 'GET' ? undefined : validBody(label),
      });
      if (route.method === 'GET') expect(response.status, label).toBe(200);
      else {
        expect(response.status, label).toBe(403);
        expectError(await body(response), 'forbidden');
      }
    }
    const keys = z.parse(
      KeyList,
      await body(await server.request(`/integrations/${integration.id}/keys`, { token: viewer })),
    );
    expect(keys.items[0]?.viewable).toBe(true);
  });
});

/** A body each write route accepts, so a refusal is about who asks, not what. Every write route has one. */
function validBody(route: string): unknown {
  const bodies: Record<string, unknown> = {
    'POST /integrations': { name: 'x' },
    'PATCH /integrations/{integrationId}': { name: 'renamed' },
    'POST /integrations/{integrationId}/keys': { name: 'x' },
    'POST /integrations/{integrationId}/keys/{keyId}/reveal': undefined,
    'DELETE /integrations/{integrationId}/keys/{keyId}': undefined,
    'POST /integrations/{integrationId}/keys/{keyId}/rotate': {},
    'PUT /settings/rotation': { rotationPeriodDays: 30 },
    'POST /integrations/{integrationId}/keys/identify': { secret: 'ssk_not-a-secret' },
    'POST /keys/identify': { secret: 'ssk_not-a-secret' },
    'PUT /settings/leaks': { policy: 'notify' },
  };
  if (!(route in bodies)) throw new Error(`No sample body for ${route}: add it to validBody`);
  return bodies[route];
}

describe('the show-once flow', () => {
  it('create integration → viewable → reveal once → 410 for another user → named key shown once', async () => {
    const created = await createIntegration(admin, 'Payments');
    expect(created.integration.apiKey).toMatch(/^ak_/);
    expect(JSON.stringify(created)).not.toMatch(/ssk_[0-9A-Za-z]{10}/);
    const base = `/integrations/${created.integration.id}`;

    const listed = z.parse(KeyList, await body(await server.request(`${base}/keys`, { token: admin })));
    expect(listed.items).toEqual([
      expect.objectContaining({ id: created.key.id, viewable: true, origin: 'auto-generated' }),
    ]);

    const reveal = await server.request(`${base}/keys/${created.key.id}/reveal`, {
      method: 'POST',
      token: admin,
    });
    expect(reveal.status).toBe(200);
    expect(reveal.headers.get('cache-control')).toBe('no-store');
    const revealed = z.parse(SecretResponse, await body(reveal));
    expect(revealed.key.hint).toBe(`ssk_…${revealed.secret.slice(-4)}`);

    const again = await server.request(`${base}/keys/${created.key.id}/reveal`, {
      method: 'POST',
      token: admin2,
    });
    expect(again.status).toBe(410);
    const gone = await body(again);
    expectError(gone, 'key_no_longer_viewable');
    expect(gone.error).toMatchObject({
      message: 'Key no longer viewable',
      viewedBy: 'alice',
      viewedAt: expect.any(String),
    });

    const after = z.parse(KeyList, await body(await server.request(`${base}/keys`, { token: admin2 })));
    expect(after.items[0]).toMatchObject({ viewable: false, viewedBy: 'alice' });

    const create = await server.request(`${base}/keys`, {
      method: 'POST',
      token: admin,
      json: { name: '  Primary  ' },
    });
    expect(create.status).toBe(201);
    expect(create.headers.get('cache-control')).toBe('no-store');
    const named = z.parse(SecretResponse, await body(create));
    expect(named.key).toMatchObject({ name: 'Primary', origin: 'created', viewable: false });
    expect(named.secret).not.toBe(revealed.secret);

    const revealNamed = await server.request(`${base}/keys/${named.key.id}/reveal`, {
      method: 'POST',
      token: admin,
    });
    expect(revealNamed.status).toBe(410);

    // No GET ever shows a secret again.
    for (const path of ['/integrations', base, `${base}/keys`, `${base}/audit`]) {
      const text = await (await server.request(path, { token: admin })).text();
      expect(text).not.toContain(revealed.secret);
      expect(text).not.toContain(named.secret);
      expect(text).not.toMatch(/v1\.[\w-]{20,}\./);
    }

    const revoke = await server.request(`${base}/keys/${named.key.id}`, { method: 'DELETE', token: admin });
    expect(revoke.status).toBe(200);
    expect(await body(revoke)).toMatchObject({ id: named.key.id, status: 'revoked', revokedBy: 'alice' });

    const audit = (await body(await server.request(`${base}/audit`, { token: viewer }))) as {
      items: { action: string; actor: string; sourceIp: string; requestId: string }[];
    };
    expect(audit.items.map((e) => e.action)).toEqual([
      'key.revoked',
      'key.created',
      'key.revealed',
      'key.auto_generated',
      'integration.created',
    ]);
    for (const event of audit.items) {
      expect(event).toMatchObject({
        actor: 'alice',
        sourceIp: expect.any(String),
        requestId: expect.any(String),
      });
    }
  });

  it('lists integrations page by page', async () => {
    const token = await server.token('pages', 'p');
    for (let i = 0; i < 3; i++) await createIntegration(token, `p${i}`);
    const first = await body(await server.request('/integrations?limit=2', { token }));
    expect((first.items as unknown[]).length).toBe(2);
    const second = await body(
      await server.request(`/integrations?limit=2&cursor=${encodeURIComponent(String(first.nextCursor))}`, {
        token,
      }),
    );
    expect((second.items as unknown[]).length).toBe(1);
    expect(second.nextCursor).toBeNull();
  });
});

describe('bad input gets a 4xx that says what to fix', () => {
  it.each([
    [
      'malformed JSON',
      { body: '{"name":', headers: { 'content-type': 'application/json' } },
      400,
      'invalid_request',
      /JSON/,
    ],
    ['no body', { headers: { 'content-type': 'application/json' } }, 400, 'invalid_request', /body/],
    [
      'wrong content type',
      { body: 'name=x', headers: { 'content-type': 'text/plain' } },
      415,
      'unsupported_media_type',
      /Content-Type/,
    ],
    ['blank name', { json: { name: '   ' } }, 400, 'invalid_request', /name/],
    ['long name', { json: { name: 'x'.repeat(101) } }, 400, 'invalid_request', /100 characters/],
    ['name of the wrong type', { json: { name: 42 } }, 400, 'invalid_request', /name/],
    ['a JSON array', { json: [] }, 400, 'invalid_request', /body/],
  ])('POST /integrations with %s', async (_, init, status, code, message) => {
    const response = await server.request('/integrations', { method: 'POST', token: admin, ...init });
    expect(response.status).toBe(status);
    const payload = await body(response);
    expectError(payload, code);
    expect((payload.error as { message: string }).message).toMatch(message);
  });

  it.each([
    ['/integrations/not-an-id', /integrationId/],
    ['/integrations/int_01M8STXNSD0WK015E9HDB2KRD3/keys/nope/reveal', /keyId/],
    ['/integrations?limit=1000', /limit/],
    ['/integrations?limit=abc', /limit/],
    ['/integrations?cursor=garbage', /cursor/],
  ])('%s answers 400 naming the field', async (path, message) => {
    const method = path.endsWith('/reveal') ? 'POST' : 'GET';
    const response = await server.request(path, { method, token: admin });
    expect(response.status).toBe(400);
    const payload = await body(response);
    expectError(payload, 'invalid_request');
    expect((payload.error as { message: string }).message).toMatch(message);
  });

  it('unknown ids answer 404', async () => {
    const response = await server.request('/integrations/int_01M8STXNSD0WK015E9HDB2KRD3', { token: admin });
    expect(response.status).toBe(404);
    expectError(await body(response), 'integration_not_found');
  });

  it('too many usable keys answers 409', async () => {
    const { integration } = await createIntegration(admin, 'Full');
    const statuses: number[] = [];
    let lastPayload: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) {
      const response = await server.request(`/integrations/${integration.id}/keys`, {
        method: 'POST',
        token: admin,
        json: { name: `k${i}` },
      });
      statuses.push(response.status);
      lastPayload = await body(response);
    }
    // The auto-generated key plus nine created ones fill the ten slots; the tenth create is refused.
    expect(statuses).toEqual([...Array(9).fill(201), 409]);
    expectError(lastPayload, 'too_many_keys');
  });
});

describe('tenant isolation', () => {
  it("every route with another account's ids answers 404, and nothing changes: every route of the table", async () => {
    const { integration, key } = await createIntegration(admin, 'Private');
    const base = `/integrations/${integration.id}`;
    const withIds = routes.filter((route) => route.path.includes('{integrationId}'));
    expect(withIds.length).toBeGreaterThanOrEqual(8);
    for (const route of withIds) {
      const label = `${route.method} ${route.path}`;
      const path = route.path.replace('{integrationId}', integration.id).replace('{keyId}', key.id);
      const response = await server.request(path, {
        method: route.method,
        token: outsider,
        json: route.method === 'GET' ? undefined : validBody(label),
      });
      expect(response.status, label).toBe(404);
      const payload = (await body(response)) as { error: { code: string } };
      expectError(payload, payload.error.code);
      expect(['integration_not_found', 'key_not_found']).toContain(payload.error.code);
    }
    const list = await body(await server.request('/integrations', { token: outsider }));
    expect(list.items).toEqual([]);
    const keys = z.parse(KeyList, await body(await server.request(`${base}/keys`, { token: admin })));
    expect(keys.items).toEqual([expect.objectContaining({ id: key.id, viewable: true, status: 'active' })]);
    const audit = (await body(await server.request(`${base}/audit`, { token: admin }))) as {
      items: unknown[];
    };
    expect(audit.items).toHaveLength(2);
    // Account-wide routes answer with the caller's own account.
    const settings = await body(await server.request('/settings/rotation', { token: outsider }));
    expect(settings).toMatchObject({ updatedBy: null });
  });
});

describe('exactly once under races', () => {
  it('for each of 20 keys, 50 concurrent reveals by several users → one 200, forty-nine 410, one audit event', async () => {
    const users = await Promise.all(['u1', 'u2', 'u3', 'u4', 'u5'].map((u) => server.token('race', u)));
    const created = [];
    for (let i = 0; i < 20; i++) created.push(await createIntegration(users[0], `race-${i}`));
    for (const { integration, key } of created) {
      const path = `/integrations/${integration.id}/keys/${key.id}/reveal`;
      const responses = await Promise.all(
        Array.from({ length: 50 }, (_, i) =>
          server.request(path, { method: 'POST', token: users[i % users.length] }),
        ),
      );
      const statuses = responses.map((r) => r.status);
      const payloads = await Promise.all(responses.map(body));
      expect(statuses.filter((s) => s === 200)).toHaveLength(1);
      expect(statuses.filter((s) => s === 410)).toHaveLength(49);
      const winner = payloads[statuses.indexOf(200)] as { secret: string };
      expect(winner.secret).toMatch(/^ssk_/);
      const audit = (await body(
        await server.request(`/integrations/${integration.id}/audit`, { token: users[0] }),
      )) as {
        items: { action: string }[];
      };
      expect(audit.items.filter((e) => e.action === 'key.revealed')).toHaveLength(1);
    }
  }, 120_000);
});

describe('KMS failure during reveal', () => {
  it('answers 503, leaves the key viewable, and a later reveal succeeds', async () => {
    const { integration, key } = await createIntegration(admin, 'Flaky KMS');
    const path = `/integrations/${integration.id}/keys/${key.id}/reveal`;
    await fetch(`${server.kmsEndpoint}/__standin/fault`, {
      method: 'POST',
      body: JSON.stringify({ fault: 'unavailable', operations: ['Decrypt'] }),
    });
    try {
      const failed = await server.request(path, { method: 'POST', token: admin });
      expect(failed.status).toBe(503);
      expectError(await body(failed), 'temporarily_unavailable');
    } finally {
      await fetch(`${server.kmsEndpoint}/__standin/fault`, {
        method: 'POST',
        body: JSON.stringify({ fault: 'none' }),
      });
    }
    const keys = z.parse(
      KeyList,
      await body(await server.request(`/integrations/${integration.id}/keys`, { token: admin })),
    );
    expect(keys.items[0]?.viewable).toBe(true);
    const retried = await server.request(path, { method: 'POST', token: admin });
    expect(retried.status).toBe(200);
  });

  it('KMS down while creating answers 503 and creates nothing', async () => {
    const token = await server.token('kmsdown', 'k');
    await fetch(`${server.kmsEndpoint}/__standin/fault`, {
      method: 'POST',
      body: JSON.stringify({ fault: 'throttle' }),
    });
    try {
      const response = await server.request('/integrations', { method: 'POST', token, json: { name: 'x' } });
      expect(response.status).toBe(503);
    } finally {
      await fetch(`${server.kmsEndpoint}/__standin/fault`, {
        method: 'POST',
        body: JSON.stringify({ fault: 'none' }),
      });
    }
    expect((await body(await server.request('/integrations', { token }))).items).toEqual([]);
  });
});

describe('logs and shutdown', () => {
  it('the server logged every request and no secret, ciphertext or token', () => {
    const output = server.output();
    expect(secretsSeen.length).toBeGreaterThan(20);
    expect(output).toContain('"message":"request"');
    expect(() => assertNoSecretsLogged(output, secretsSeen, [admin, admin2, viewer, outsider])).not.toThrow();
    // The check itself can fail: it finds a planted secret.
    expect(() => assertNoSecretsLogged(`${output}\n${secretsSeen[0]}`, secretsSeen)).toThrow();
    // …also when it is logged encoded.
    const planted = Buffer.from(secretsSeen[1] ?? '');
    for (const encoded of [
      planted.toString('hex'),
      planted.toString('base64'),
      planted.toString('base64url'),
    ]) {
      expect(() => assertNoSecretsLogged(`${output}\n${encoded}`, secretsSeen)).toThrow();
    }
  });

  it('Ctrl-C stops the server, DynamoDB Local and the stand-ins, and removes their temp files', async () => {
    const stackFile = join(server.localDir, 'stack.json');
    const stack = JSON.parse(readFileSync(stackFile, 'utf8')) as { env: Record<string, string> };
    const ports = [
      server.url,
      server.dynamodbEndpoint,
      server.kmsEndpoint,
      stack.env.AWS_ENDPOINT_URL_SNS ?? '',
    ].map((url) => Number(new URL(url).port));
    expect(ports.every((port) => port > 0)).toBe(true);
    expect(new Set(ports).size).toBe(4);
    expect(await server.interrupt()).toBe(0);
    const isOpen = (port: number) =>
      new Promise<boolean>((resolve) => {
        const socket = new Socket();
        socket.once('connect', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
        socket.connect(port, '127.0.0.1');
      });
    expect(await Promise.all(ports.map(isOpen))).toEqual([false, false, false, false]);
    // `npm run remind` no longer finds a stack.
    expect(existsSync(stackFile)).toBe(false);
    const left = readdirSync(tmpdir()).filter(
      (name) => name.startsWith('ssk-ddb-') && !tempBefore.includes(name),
    );
    expect(left).toEqual([]);
  });
});
