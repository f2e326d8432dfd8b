import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DeleteObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths.js';
import { AUDIT_ATTRIBUTE, TableKeys } from '../../shared/adapters/dynamodb/table.js';
import { assertNoSecretsLogged, type RunningServer, startLocalServer } from '../support/local-server.js';

/**
 * The audit trail an auditor can check, against `npm start`: `GET /integrations/{id}/audit/verify` and
 * `npm run audit:verify` pass on untouched data and point at an event edited or deleted directly in
 * the server's DynamoDB Local.
 */
let server: RunningServer;
let table: DynamoDBDocumentClient;
let tableName: string;
let stackEnv: Record<string, string>;
const secrets: string[] = [];
const tokens: string[] = [];

async function call(account: string, method: string, path: string, json?: unknown, role?: 'viewer') {
  const token = await server.token(account, `${account}-user`, role ?? 'admin');
  tokens.push(token);
  const response = await server.request(path, { method, token, json });
  const body = (await response.json()) as Record<string, unknown>;
  if (typeof body.secret === 'string') secrets.push(body.secret);
  return { status: response.status, body };
}

/** An integration with a revealed, a created and a revoked key. */
async function integrationWithHistory(account: string) {
  const created = await call(account, 'POST', '/integrations', { name: 'Audited' });
  const id = (created.body.integration as { id: string }).id;
  const first = (created.body.key as { id: string }).id;
  expect((await call(account, 'POST', `/integrations/${id}/keys/${first}/reveal`)).status).toBe(200);
  const second = await call(account, 'POST', `/integrations/${id}/keys`, { name: 'Second' });
  const secondId = (second.body.key as { id: string }).id;
  expect((await call(account, 'DELETE', `/integrations/${id}/keys/${secondId}`)).status).toBe(200);
  return { id, first, second: secondId };
}

function auditVerify(...args: string[]) {
  return command('audit-verify', ...args);
}
function command(name: string, ...args: string[]) {
  const run = spawnSync(process.execPath, ['--import', 'tsx', `local/${name}.ts`, ...args], {
    cwd: ROOT,
    env: { ...process.env, LOCAL_DIR: server.localDir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: run.status, out: run.stdout + run.stderr };
}

async function events(account: string, integrationId: string, keyId: string) {
  const { body } = await call(account, 'GET', `/integrations/${integrationId}/audit`);
  return (body.items as { id: string; keyId?: string; action: string }[])
    .filter((event) => event.keyId === keyId)
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** Changes one stored event of a key item directly in the table, as a writer outside the service would. */
async function editEvent(
  account: string,
  integrationId: string,
  keyId: string,
  eventId: string,
  update: string,
  values?: Record<string, unknown>,
) {
  await table.send(
    new UpdateCommand({
      TableName: tableName,
      Key: { pk: TableKeys.account(account), sk: TableKeys.key(integrationId, keyId) },
      UpdateExpression: update,
      ExpressionAttributeNames: { '#audit': AUDIT_ATTRIBUTE, '#event': eventId },
      ...(values ? { ExpressionAttributeValues: values } : {}),
    }),
  );
}

beforeAll(async () => {
  server = await startLocalServer();
  const stack = JSON.parse(readFileSync(join(server.localDir, 'stack.json'), 'utf8')) as {
    env: Record<string, string>;
  };
  stackEnv = stack.env;
  tableName = stack.env.TABLE_NAME as string;
  table = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: 'us-east-1',
      endpoint: server.dynamodbEndpoint,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
}, 60_000);
afterAll(async () => {
  table?.destroy();
  await server?.interrupt();
  if (server) assertNoSecretsLogged(server.output(), secrets, tokens);
});

describe('audit verification', () => {
  it('passes on untouched data, over HTTP (for a viewer too) and from npm run audit:verify', async () => {
    const { id } = await integrationWithHistory('audit-ok');
    const report = await call('audit-ok', 'GET', `/integrations/${id}/audit/verify`, undefined, 'viewer');
    expect(report.status).toBe(200);
    expect(report.body).toMatchObject({ integrationId: id, ok: true, events: 5, unchained: 0, break: null });
    expect(report.body.head).toMatch(/^[0-9a-f]{64}$/);
    expect(report.body.chains).toHaveLength(3);

    const cli = auditVerify('--account', 'audit-ok');
    expect(cli.out).toMatch(new RegExp(`ok +${id}: 5 event\\(s\\) in 3 chain\\(s\\)`));
    expect(cli.out).toMatch(/ok +account settings/);
    expect(cli.status).toBe(0);
  });

  it('points at an event edited in DynamoDB Local, over HTTP and from the command (exit 1)', async () => {
    const { id, first } = await integrationWithHistory('audit-edit');
    const revealed = (await events('audit-edit', id, first)).find((event) => event.action === 'key.revealed');
    await editEvent('audit-edit', id, first, String(revealed?.id), 'SET #audit.#event.sourceIp = :ip', {
      ':ip': '10.9.9.9',
    });
    const report = await call('audit-edit', 'GET', `/integrations/${id}/audit/verify`);
    expect(report.body).toMatchObject({
      ok: false,
      break: { item: `key ${first}`, eventId: revealed?.id, reason: 'edited' },
    });
    const cli = auditVerify('--account', 'audit-edit', '--integration', id);
    expect(cli.out).toContain(`BROKEN  ${id}: key ${first} event ${revealed?.id}: edited`);
    expect(cli.status).toBe(1);
  });

  it('points at the event after one deleted from DynamoDB Local', async () => {
    const { id, first } = await integrationWithHistory('audit-delete');
    expect((await call('audit-delete', 'DELETE', `/integrations/${id}/keys/${first}`)).status).toBe(200);
    const [, revealed, revoked] = await events('audit-delete', id, first);
    expect(revealed?.action).toBe('key.revealed');
    await editEvent('audit-delete', id, first, String(revealed?.id), 'REMOVE #audit.#event');
    const report = await call('audit-delete', 'GET', `/integrations/${id}/audit/verify`);
    expect(report.body).toMatchObject({
      ok: false,
      break: { item: `key ${first}`, eventId: revoked?.id, reason: 'missing-before' },
    });
    expect(auditVerify('--account', 'audit-delete').status).toBe(1);
  });

  it("answers 404 for another account's integration, and the command says what is missing", async () => {
    const { id } = await integrationWithHistory('audit-owner');
    const other = await call('audit-other', 'GET', `/integrations/${id}/audit/verify`);
    expect(other.status).toBe(404);
    expect(other.body).toMatchObject({ error: { code: 'integration_not_found' } });
    expect(auditVerify('--account', 'audit-other', '--integration', id).status).toBe(2);
    expect(auditVerify().out).toContain('--account is required');
  });

  it('anchors every sound trail (npm run audit:anchor), and a key item deleted since is caught against the anchor', async () => {
    const { id, second } = await integrationWithHistory('audit-anchor');
    const anchored = command('audit-anchor');
    expect(anchored.out).toMatch(/Anchored \d+ audit trail\(s\); 2 broken, not anchored/);
    // The trails the tests above tampered with are refused as the reference, and named.
    expect(anchored.out).toMatch(/not anchored: audit-edit\/int_\w+: key key_\w+: edited/);
    expect(anchored.out).toMatch(/not anchored: audit-delete\/int_\w+: key key_\w+: missing-before/);
    expect(anchored.status).toBe(1);
    const holds = await call('audit-anchor', 'GET', `/integrations/${id}/audit/verify`);
    expect(holds.body).toMatchObject({ ok: true, anchor: { holds: true, head: holds.body.head } });

    // The whole revoked key item, events and head with it: no chain left to break, but the anchor names it.
    await table.send(
      new DeleteCommand({
        TableName: tableName,
        Key: { pk: TableKeys.account('audit-anchor'), sk: TableKeys.key(id, second) },
      }),
    );
    const report = await call('audit-anchor', 'GET', `/integrations/${id}/audit/verify`);
    expect(report.body).toMatchObject({
      ok: false,
      break: { item: `key ${second}`, eventId: null, reason: 'anchor-mismatch' },
      anchor: { holds: false },
    });
    expect(auditVerify('--account', 'audit-anchor').out).toContain(
      `BROKEN  ${id}: key ${second}: anchor-mismatch`,
    );

    // The anchor itself cannot be removed: the bucket refuses deletes, as compliance mode does.
    const s3 = new S3Client({
      region: 'us-east-1',
      endpoint: stackEnv.AWS_ENDPOINT_URL_S3,
      forcePathStyle: true,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    await expect(
      s3.send(
        new DeleteObjectCommand({ Bucket: stackEnv.ANCHOR_BUCKET, Key: `anchors/audit-anchor/${id}/x.json` }),
      ),
    ).rejects.toMatchObject({ name: 'AccessDenied' });
    s3.destroy();
  });
});
