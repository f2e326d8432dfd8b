import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localScanningKeys } from '../../local/scanning-keys.js';
import { readJsonLines } from '../support/integration-client.js';
import { assertNoSecretsLogged, type RunningServer, startLocalServer } from '../support/local-server.js';

/**
 * When a secret leaks, over HTTP against `npm start`: GitHub's signed secret-scanning reports (signed
 * here with the local runtime's own key pair, as GitHub signs with its), the leak policy, and "which key
 * is this?".
 */
let server: RunningServer;
const secrets: string[] = [];
const tokens: string[] = [];

async function token(account: string, role: 'admin' | 'viewer' = 'admin') {
  const value = await server.token(account, `${account}-admin`, role);
  tokens.push(value);
  return value;
}
async function call(account: string, method: string, path: string, json?: unknown) {
  const response = await server.request(path, { method, token: await token(account), json });
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.secret === 'string') secrets.push(body.secret);
  return { status: response.status, body };
}
async function keyWithSecret(account: string, name = 'Leaky') {
  const created = await call(account, 'POST', '/integrations', { name });
  const integrationId = (created.body.integration as { id: string }).id;
  const key = await call(account, 'POST', `/integrations/${integrationId}/keys`, { name: 'Primary' });
  return { integrationId, keyId: (key.body.key as { id: string }).id, secret: String(key.body.secret) };
}
async function report(matches: unknown[], sign = true) {
  const body = JSON.stringify(matches);
  const keys = localScanningKeys(join(server.localDir, 'secret-scanning'));
  const response = await fetch(`${server.url}/v1/secret-scanning/reports`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(sign ? keys.sign(body) : {}) },
    body,
  });
  return { status: response.status, body: (await response.json()) as unknown };
}
const outbox = () =>
  readJsonLines<{ detailType?: string; detail?: Record<string, unknown> }>(
    join(server.localDir, 'outbox.jsonl'),
  );
const sha = (value: string) => createHash('sha256').update(value).digest('hex');

beforeAll(async () => {
  server = await startLocalServer();
}, 60_000);
afterAll(async () => {
  await server?.interrupt();
  if (server) assertNoSecretsLogged(server.output() + JSON.stringify(outbox()), secrets, tokens);
});

describe('secret-scanning reports', () => {
  it('a signed report of a real secret revokes its key (the default policy), audited and published', async () => {
    const { integrationId, keyId, secret } = await keyWithSecret('leak-revoke');
    const url = 'https://github.com/octo/repo/blob/abc/config.env';
    const answer = await report([{ token: secret, type: 'shared_secret_key', url, source: 'content' }]);
    expect(answer).toEqual({
      status: 200,
      body: [{ token_hash: sha(secret), token_type: 'shared_secret_key', label: 'true_positive' }],
    });
    expect(JSON.stringify(answer.body)).not.toContain('leak-revoke');
    const keys = await call('leak-revoke', 'GET', `/integrations/${integrationId}/keys`);
    expect((keys.body.items as { id: string; status: string }[]).find((k) => k.id === keyId)?.status).toBe(
      'revoked',
    );
    const audit = (await call('leak-revoke', 'GET', `/integrations/${integrationId}/audit`)).body.items as {
      action: string;
      actor: string;
      details?: Record<string, string>;
    }[];
    const exposed = audit.find((event) => event.action === 'key.exposed');
    expect(exposed).toMatchObject({
      actor: 'secret-scanning',
      details: { url, source: 'content', policy: 'revoke' },
    });
    expect(audit.some((event) => event.action === 'key.revoked' && event.actor === 'secret-scanning')).toBe(
      true,
    );
    await expect
      .poll(
        () =>
          outbox().filter((e) => e.detailType === 'Shared Secret Key Exposed' && e.detail?.keyId === keyId)
            .length,
      )
      .toBe(1);
  });

  it('with the notify policy the key keeps working; with rotate it gets an auto-generated successor, viewable once', async () => {
    const notify = await keyWithSecret('leak-notify');
    expect((await call('leak-notify', 'PUT', '/settings/leaks', { policy: 'notify' })).body).toMatchObject({
      policy: 'notify',
    });
    await report([{ token: notify.secret, type: 'shared_secret_key' }]);
    const notifyKeys = (await call('leak-notify', 'GET', `/integrations/${notify.integrationId}/keys`)).body
      .items as {
      id: string;
      status: string;
    }[];
    expect(notifyKeys.find((k) => k.id === notify.keyId)?.status).toBe('active');

    const rotate = await keyWithSecret('leak-rotate');
    await call('leak-rotate', 'PUT', '/settings/leaks', { policy: 'rotate' });
    await report([{ token: rotate.secret, type: 'shared_secret_key' }]);
    const rotated = (await call('leak-rotate', 'GET', `/integrations/${rotate.integrationId}/keys`)).body
      .items as {
      id: string;
      status: string;
      origin: string;
      viewable: boolean;
    }[];
    expect(rotated.find((k) => k.id === rotate.keyId)?.status).toBe('expiring');
    const successor = rotated.find((k) => k.id !== rotate.keyId && k.status === 'active' && k.viewable);
    expect(successor?.origin).toBe('auto-generated');
  });

  it('unknown and malformed tokens are false positives and write nothing; unsigned and forged reports are refused', async () => {
    const { integrationId, secret } = await keyWithSecret('leak-forged');
    const before = (
      (await call('leak-forged', 'GET', `/integrations/${integrationId}/audit`)).body.items as unknown[]
    ).length;
    const random = `ssk_${'A'.repeat(49)}`;
    const answer = await report([
      { token: random, type: 'shared_secret_key' },
      { token: 'hello', type: 'shared_secret_key' },
    ]);
    expect(answer.body).toEqual([
      { token_hash: sha(random), token_type: 'shared_secret_key', label: 'false_positive' },
      { token_hash: sha('hello'), token_type: 'shared_secret_key', label: 'false_positive' },
    ]);
    expect((await report([{ token: secret, type: 't' }], false)).status).toBe(401);
    const body = JSON.stringify([{ token: secret, type: 't' }]);
    const signedOther = localScanningKeys(join(server.localDir, 'secret-scanning')).sign(
      JSON.stringify([{ token: 'x', type: 't' }]),
    );
    const forged = await fetch(`${server.url}/v1/secret-scanning/reports`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...signedOther },
      body,
    });
    expect(forged.status).toBe(401);
    expect(((await forged.json()) as { error: { code: string } }).error.code).toBe('unauthorized');
    const after = (
      (await call('leak-forged', 'GET', `/integrations/${integrationId}/audit`)).body.items as unknown[]
    ).length;
    expect(after).toBe(before);
  });
});

describe('which key is this?', () => {
  it('names the key for its secret, account-wide and per integration; 404 for a random string and for another account', async () => {
    const { integrationId, keyId, secret } = await keyWithSecret('finder');
    const found = await call('finder', 'POST', '/keys/identify', { secret });
    expect(found).toMatchObject({
      status: 200,
      body: { id: keyId, integrationId, name: 'Primary', status: 'active' },
    });
    expect(JSON.stringify(found.body)).not.toContain('ssk_');
    expect(
      (await call('finder', 'POST', `/integrations/${integrationId}/keys/identify`, { secret })).status,
    ).toBe(200);
    expect((await call('finder', 'POST', '/keys/identify', { secret: `ssk_${'B'.repeat(49)}` })).status).toBe(
      404,
    );
    expect((await call('someone-else', 'POST', '/keys/identify', { secret })).status).toBe(404);
    const viewer = await server.request('/keys/identify', {
      method: 'POST',
      token: await token('finder', 'viewer'),
      json: { secret },
    });
    expect(viewer.status).toBe(403);
    const audit = (await call('finder', 'GET', `/integrations/${integrationId}/audit`)).body.items as {
      action: string;
    }[];
    expect(audit.filter((event) => event.action === 'key.identified')).toHaveLength(2);
  });

  it('is limited per user, so it cannot test guesses at scale', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 14; i++) {
      statuses.push(
        (await call('guesser', 'POST', '/keys/identify', { secret: `ssk_${String(i).padStart(49, 'C')}` }))
          .status,
      );
    }
    expect(statuses.slice(0, 10).every((status) => status === 404)).toBe(true);
    expect(statuses.slice(10)).toContain(429);
  });
});
