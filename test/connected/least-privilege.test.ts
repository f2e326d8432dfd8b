import { createHmac, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiGatewayEvent } from '../../local/api-event.js';
import { type NotifyStandIn, startNotifyStandIn } from '../../local/notify-standin.js';
import { type S3StandIn, startS3StandIn } from '../../local/s3-standin.js';
import { type LocalScanningKeys, localScanningKeys } from '../../local/scanning-keys.js';
import {
  dynamoClient,
  eventBridgeClient,
  kmsClient,
  s3Client,
  snsClient,
} from '../../shared/adapters/clients.js';
import { AUDIT_ATTRIBUTE, TableKeys } from '../../shared/adapters/dynamodb/table.js';
import { type Access, internalFunctions, jobs, routes } from '../../shared/routes.js';
import { type AwsCall, observeCalls } from '../support/aws-calls.js';
import { connectedEngines, stubFunctionEnv } from '../support/engines.js';

/**
 * Invariant 6, from the other side of the IAM policy: every function is run in process against the real
 * engines, its AWS calls are recorded, and what it does must be exactly what its route-table entry
 * (from which the CDK app writes its IAM policy) allows. A call outside it would be AccessDenied on AWS;
 * an allowance it never uses is privilege it should not hold.
 */
let engines: Awaited<ReturnType<typeof connectedEngines>>;
const used = new Map<string, Set<string>>();
let current: string | undefined;
const stops: (() => void)[] = [];

/** The IAM actions (and KMS purposes) one call needs. TransactWriteItems is authorised per item. */
function permissionsOf(call: AwsCall): string[] {
  const input = call.input as {
    IndexName?: string;
    TransactItems?: Record<string, unknown>[];
    EncryptionContext?: { purpose?: string };
  };
  if (call.service === 'sns' || call.service === 'events') return [`${call.service}:${call.operation}`];
  // ListObjectsV2 is authorised as s3:ListBucket; GetObject and PutObject by their names.
  if (call.service === 's3')
    return [`s3:${call.operation === 'ListObjectsV2' ? 'ListBucket' : call.operation}`];
  if (call.service === 'kms') {
    const kind = call.operation === 'Decrypt' ? 'kmsDecrypt' : 'kmsGenerate';
    return [`${kind}:${input.EncryptionContext?.purpose ?? '(none)'}`];
  }
  if (call.operation === 'TransactWriteItems') {
    const action = {
      Put: 'PutItem',
      Update: 'UpdateItem',
      Delete: 'DeleteItem',
      ConditionCheck: 'ConditionCheckItem',
    };
    return (input.TransactItems ?? []).flatMap((entry) =>
      Object.keys(entry).map((kind) => `dynamodb:${action[kind as keyof typeof action]}`),
    );
  }
  return [`dynamodb:${call.operation}`, ...(input.IndexName ? ['dynamodb:index'] : [])];
}

function allowed(access: Access): string[] {
  return [
    ...access.dynamodb,
    ...(access.dynamodbIndex ? ['dynamodb:index'] : []),
    ...(access.kmsGenerate ?? []).map((purpose) => `kmsGenerate:${purpose}`),
    ...(access.kmsDecrypt ?? []).map((purpose) => `kmsDecrypt:${purpose}`),
    ...(access.snsPublish ? ['sns:Publish'] : []),
    ...(access.eventsPut ? ['events:PutEvents'] : []),
    ...(access.auditAnchors ? ['s3:ListBucket', 's3:GetObject'] : []),
    ...(access.auditAnchors === 'write' ? ['s3:PutObject'] : []),
  ].sort();
}

/** Every KMS call's encryption context, to check each of its keys, not only the purpose. */
const contexts: { fn: string; context: Record<string, string> }[] = [];

const record = async (call: AwsCall, next: () => Promise<Record<string, unknown>>) => {
  if (current && call.service === 'kms') {
    contexts.push({ fn: current, context: (call.input.EncryptionContext ?? {}) as Record<string, string> });
  }
  if (current) {
    const set = used.get(current) ?? new Set<string>();
    for (const permission of permissionsOf(call)) set.add(permission);
    used.set(current, set);
  }
  return next();
};

type Handler = (
  event: unknown,
  context: unknown,
) => Promise<{ statusCode?: number; body?: string } & Record<string, unknown>>;
const handlers = new Map<string, Handler>();

async function run(name: string, event: unknown) {
  const handler = handlers.get(name);
  if (!handler) throw new Error(`${name} is not in the route table's functions, routes or jobs`);
  current = name;
  try {
    return await handler(event, { awsRequestId: randomUUID(), functionName: name });
  } finally {
    current = undefined;
  }
}

function apiEvent(routeKey: string, params: Record<string, string> = {}, body?: unknown, headers = {}) {
  const [method = 'GET'] = routeKey.split(' ');
  return apiGatewayEvent({
    method,
    // The signed routes' MAC covers the path: these events are all called at "/".
    path: '/',
    params,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

let token = '';
let notify: NotifyStandIn;
let anchors: S3StandIn;
let scanning: LocalScanningKeys;
beforeAll(async () => {
  engines = await connectedEngines();
  stubFunctionEnv(engines);
  // The jobs' and the verify path's own lines (counts, reasons) are read below: INFO, captured.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  notify = await startNotifyStandIn({ outbox: join(mkdtempSync(join(tmpdir(), 'ssk-lp-')), 'outbox.jsonl') });
  scanning = localScanningKeys(mkdtempSync(join(tmpdir(), 'ssk-lp-scanning-')));
  vi.stubEnv('SECRET_SCANNING_KEYS_FILE', scanning.file);
  vi.stubEnv('AWS_ENDPOINT_URL_SNS', notify.endpoint);
  vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', notify.endpoint);
  vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:000000000000:least-privilege');
  anchors = await startS3StandIn({ bucket: 'least-privilege-anchors' });
  vi.stubEnv('AWS_ENDPOINT_URL_S3', anchors.endpoint);
  vi.stubEnv('ANCHOR_BUCKET', anchors.bucket);
  token = await engines.issuer.sign({ account: 'least-privilege', user: 'pat', roles: ['admin'] });
  vi.stubEnv('LAST_USED_INTERVAL_SECONDS', '0');
  // Every function here shares one process, and so one credential cache: without this, whichever
  // verifies first would spare the others their read, hiding a call their role must allow.
  vi.stubEnv('CREDENTIAL_CACHE_MS', '0');
  // The clients every handler in this process shares (shared/adapters/clients.ts), observed.
  stops.push(
    observeCalls(dynamoClient(), 'dynamodb', record),
    observeCalls(kmsClient(), 'kms', record),
    observeCalls(snsClient(), 'sns', record),
    observeCalls(eventBridgeClient(), 'events', record),
    observeCalls(s3Client(), 's3', record),
  );
  // Every function loaded here, before any test: what a module does while loading belongs to no one
  // test (and mutation testing's per-test coverage then counts it as load-time code, not as this file's).
  for (const { handler: name } of [...routes, ...internalFunctions, ...jobs]) {
    handlers.set(name, ((await import(`../../functions/${name}.ts`)) as { handler: Handler }).handler);
  }
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    const spy = vi.spyOn(stream, 'write').mockImplementation((chunk, ...rest) => {
      const text = String(chunk);
      if (!text.startsWith('{')) return write(chunk, ...(rest as []));
      logLines.push(JSON.parse(text) as Record<string, unknown>);
      return true;
    });
    stops.push(() => spy.mockRestore());
  }
});
const logLines: Record<string, unknown>[] = [];
const logged = (message: string) => logLines.filter((line) => line.message === message);

afterAll(async () => {
  for (const stop of stops) stop();
  vi.unstubAllEnvs();
  await notify.close();
  await anchors.close();
  await engines.close();
});

describe('least privilege, observed', () => {
  it('every function makes exactly the AWS calls its IAM policy allows', async () => {
    const json = (response: { body?: string }) => JSON.parse(response.body ?? '{}');
    const created = json(await run('create-integration', apiEvent('POST /integrations', {}, { name: 'LP' })));
    const integrationId: string = created.integration.id;
    const apiKey: string = created.integration.apiKey;
    const keyParams = { integrationId, keyId: created.key.id as string };

    const listed = await run('list-integrations', apiEvent('GET /integrations'));
    expect(listed.statusCode).toBe(200);
    expect(json(listed)).toMatchObject({ items: [{ id: integrationId }], nextCursor: null });
    expect(
      (await run('get-integration', apiEvent('GET /integrations/{integrationId}', { integrationId })))
        .statusCode,
    ).toBe(200);
    expect(
      (await run('list-keys', apiEvent('GET /integrations/{integrationId}/keys', { integrationId })))
        .statusCode,
    ).toBe(200);
    const added = json(
      await run(
        'create-key',
        apiEvent('POST /integrations/{integrationId}/keys', { integrationId }, { name: 'k2' }),
      ),
    );
    expect((await run('reveal-key', apiEvent('POST …/reveal', keyParams))).statusCode).toBe(200);
    const rotated = json(
      await run('rotate-key', apiEvent('POST …/rotate', { integrationId, keyId: added.key.id }, {})),
    );
    expect(rotated.secret).toMatch(/^ssk_/);
    expect((await run('revoke-key', apiEvent('DELETE …', keyParams))).statusCode).toBe(200);
    const audit = await run('list-audit', apiEvent('GET …/audit', { integrationId }));
    expect(audit.statusCode).toBe(200);
    expect(json(audit)).toMatchObject({
      items: expect.arrayContaining([expect.objectContaining({ action: 'key.revoked' })]),
      nextCursor: null,
    });
    expect((await run('get-rotation-settings', apiEvent('GET /settings/rotation'))).statusCode).toBe(200);
    const settings = apiEvent('PUT /settings/rotation', {}, { rotationPeriodDays: 30 });
    expect((await run('update-rotation-settings', settings)).statusCode).toBe(200);

    // Signatures, in the timestamped form: a good one (records lastUsedAt), and one no usable key matches.
    const body = '{"event":"ping"}';
    const ts = String(Math.floor(Date.now() / 1000));
    const mac = (path: string) =>
      createHmac('sha256', rotated.secret).update(`${ts}\nPOST\n${path}\n${body}`).digest('hex');
    const answers: unknown[] = [];
    for (const good of [true, false]) {
      answers.push(
        await run('verify-signature', {
          apiKey,
          signature: good ? mac('/in') : 'f'.repeat(64),
          timestamp: ts,
          method: 'POST',
          path: '/in',
          body: Buffer.from(body).toString('base64'),
        }),
      );
      const checked = await run(
        'signature-check',
        apiEvent('POST /signature-check', {}, body, {
          'x-auth-client': apiKey,
          'x-hmac-signature': good ? mac('/') : 'f'.repeat(64),
          'x-auth-timestamp': ts,
        }),
      );
      answers.push([checked.statusCode, json(checked)]);
    }
    expect(answers).toEqual([
      { valid: true, accountId: 'least-privilege', integrationId, keyId: rotated.key.id },
      [200, { valid: true, keyId: rotated.key.id, keyName: rotated.key.name }],
      { valid: false, reason: 'bad_signature', retryable: false },
      [401, expect.objectContaining({ error: expect.objectContaining({ code: expect.any(String) }) })],
    ]);
    expect(logged('signature rejected')).toEqual([
      expect.objectContaining({ level: 'INFO', reason: 'bad_signature' }),
    ]);
    expect(
      (
        await run(
          'update-integration',
          apiEvent('PATCH /integrations/{id}', { integrationId }, { name: 'LP 2' }),
        )
      ).statusCode,
    ).toBe(200);
    // An internal call with bad input is told what to fix, each field by its own name.
    expect(
      await run('verify-signature', { apiKey: apiKey, signature: 's', method: 'POST', path: '/in' }),
    ).toEqual({
      error: { code: 'invalid_request', message: 'body: body (base64) is required' },
    });
    const signed = await run('sign-webhook', { accountId: 'least-privilege', integrationId, payload: body });
    expect(signed).toHaveProperty('headers');

    // When a secret leaks: the leak policy, "which key is this?", and a signed secret-scanning report.
    expect((await run('get-leak-settings', apiEvent('GET /settings/leaks'))).statusCode).toBe(200);
    const policy = await run(
      'update-leak-settings',
      apiEvent('PUT /settings/leaks', {}, { policy: 'rotate' }),
    );
    expect(policy.statusCode).toBe(200);
    const leaked = json(
      await run(
        'create-key',
        apiEvent('POST /integrations/{integrationId}/keys', { integrationId }, { name: 'leaked' }),
      ),
    );
    const identified = await run(
      'identify-key',
      apiEvent('POST …/keys/identify', { integrationId }, { secret: leaked.secret }),
    );
    expect(identified.statusCode).toBe(200);
    expect(
      (await run('identify-account-key', apiEvent('POST /keys/identify', {}, { secret: leaked.secret })))
        .statusCode,
    ).toBe(200);
    const reportBody = JSON.stringify([{ token: leaked.secret, type: 'shared_secret_key' }]);
    const reported = await run(
      'secret-scanning-report',
      apiEvent('POST /v1/secret-scanning/reports', {}, reportBody, scanning.sign(reportBody)),
    );
    expect(json(reported)).toEqual([expect.objectContaining({ label: 'true_positive' })]);
    // Refused before anything is read: unsigned, signed by another key, too large, not JSON, not a report.
    const report = (text: string, headers: Record<string, string>) =>
      run('secret-scanning-report', apiEvent('POST /v1/secret-scanning/reports', {}, text, headers));
    const refusal = async (text: string, headers: Record<string, string>) => {
      const response = await report(text, headers);
      return [response.statusCode, json(response).error];
    };
    const unsigned = 'The report must be signed by GitHub (Github-Public-Key-Identifier and -Signature).';
    const signedHeaders: Record<string, string> = scanning.sign(reportBody);
    expect(await refusal(reportBody, {})).toEqual([401, { code: 'unauthorized', message: unsigned }]);
    for (const name of Object.keys(signedHeaders)) {
      const { [name]: _, ...partial } = signedHeaders;
      expect(await refusal(reportBody, partial)).toEqual([401, { code: 'unauthorized', message: unsigned }]);
    }
    expect((await refusal(`${reportBody} `, signedHeaders))[0]).toBe(401);
    const large = 'x'.repeat(64 * 1024 + 1);
    expect(await refusal(large, scanning.sign(large))).toEqual([
      413,
      { code: 'payload_too_large', message: 'A report is at most 64 KiB.' },
    ]);
    const limit = 'x'.repeat(64 * 1024);
    expect((await refusal(limit, scanning.sign(limit)))[0]).toBe(400);
    expect(await refusal('{', scanning.sign('{'))).toEqual([
      400,
      { code: 'invalid_request', message: 'body: not valid JSON.' },
    ]);
    // A signed report with no body at all is read as the empty text it is.
    const empty = await run(
      'secret-scanning-report',
      apiEvent('POST /v1/secret-scanning/reports', {}, undefined, scanning.sign('')),
    );
    expect([empty.statusCode, json(empty).error]).toEqual([
      400,
      { code: 'invalid_request', message: 'body: not valid JSON.' },
    ]);
    expect(await refusal('[]', scanning.sign('[]'))).toEqual([
      400,
      { code: 'invalid_request', message: 'body: the report has no matches' },
    ]);
    const health = await run('health', apiEvent('GET /health'));
    expect([health.statusCode, json(health)]).toEqual([200, { status: 'ok' }]);

    // The jobs: a key that expires tomorrow is in the reminder's notice at once; one stream record.
    await run(
      'create-key',
      apiEvent(
        'POST /integrations/{integrationId}/keys',
        { integrationId },
        { name: 'soon', expiresInDays: 1 },
      ),
    );
    const reminded = (await run('remind-rotation', {})) as unknown as { notices: number; read: number };
    expect(reminded.notices).toBe(1);
    expect(logged('rotation reminders')).toEqual([
      expect.objectContaining({
        level: 'INFO',
        days: expect.any(Number),
        read: reminded.read,
        notices: 1,
        failed: 0,
      }),
    ]);
    const record = (sequence?: string) => ({
      eventName: 'INSERT',
      dynamodb: {
        ...(sequence ? { SequenceNumber: sequence } : {}),
        NewImage: {
          sk: { S: `INTEGRATION#${integrationId}` },
          accountId: { S: 'least-privilege' },
          audit: { M: { evt_1: { M: { action: { S: 'integration.created' }, actor: { S: 'pat' } } } } },
        },
      },
    });
    // A record without a sequence number is named by the empty identifier: Lambda then retries the batch.
    const stream = { Records: [record(), record('1')] };
    expect(await run('publish-lifecycle', stream)).toEqual({ batchItemFailures: [] });
    // EventBridge down: each record is answered as failed (the stream retries them) and the job says how many.
    notify.setFault('unavailable', ['PutEvents']);
    try {
      expect(await run('publish-lifecycle', stream)).toEqual({
        batchItemFailures: [{ itemIdentifier: '' }, { itemIdentifier: '1' }],
      });
    } finally {
      notify.setFault('none');
    }
    expect(logged('lifecycle events not published; the stream will retry')).toEqual([
      expect.objectContaining({ level: 'WARN', records: 2 }),
    ]);

    // The audit anchors: two runs (the second reads the first's anchors), then a verification against them.
    for (let i = 0; i < 2; i++) {
      expect(await run('anchor-audit', {})).toMatchObject({ anchored: 1, broken: 0 });
      expect(logged('audit anchors').at(-1)).toMatchObject({ level: 'INFO', anchored: 1, broken: 0 });
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    const verified = await run('verify-audit', apiEvent('GET …/audit/verify', { integrationId }));
    expect(json(verified)).toMatchObject({ ok: true, break: null, anchor: { holds: true } });

    const all = [...routes, ...internalFunctions, ...jobs];
    const specs = all.filter((spec) => used.has(spec.handler));
    // Every function that may call AWS was run above: a new route cannot be left out of this check.
    const callers = all.filter((spec) =>
      Object.values(spec.access).some((a) => (Array.isArray(a) ? a.length > 0 : Boolean(a))),
    );
    expect(specs.map((spec) => spec.handler).sort()).toEqual(callers.map((spec) => spec.handler).sort());
    const observed = Object.fromEntries(
      specs.map((spec) => [spec.handler, [...(used.get(spec.handler) ?? [])].sort()]),
    );
    const granted = Object.fromEntries(specs.map((spec) => [spec.handler, allowed(spec.access)]));
    expect(observed).toEqual(granted);
    // Every data key is bound to its whole place: exactly the four context keys, the caller's account,
    // and ids of the right kinds (KMS and the key policy require all four; a missing one would open up).
    expect(contexts.length).toBeGreaterThan(10);
    for (const { fn, context } of contexts) {
      expect(Object.keys(context).sort(), fn).toEqual(['account', 'integration', 'key', 'purpose']);
      expect(context.account, fn).toBe('least-privilege');
      expect(context.integration, fn).toMatch(/^int_[0-9A-Z]{26}$/);
      expect(context.key, fn).toMatch(/^key_[0-9A-Z]{26}$/);
      expect(['display', 'signing'], fn).toContain(context.purpose);
    }

    // A trail edited in the table is not anchored, and the job says which one, never what it held.
    await engines.client.send(
      new UpdateCommand({
        TableName: engines.tableName,
        Key: { pk: TableKeys.account('least-privilege'), sk: TableKeys.integration(integrationId) },
        UpdateExpression: 'REMOVE #audit',
        ExpressionAttributeNames: { '#audit': AUDIT_ATTRIBUTE },
      }),
    );
    expect(await run('anchor-audit', {})).toEqual({ anchored: 0, broken: 1 });
    expect(logged('audit trail broken: not anchored')).toEqual([
      expect.objectContaining({
        level: 'ERROR',
        accountId: 'least-privilege',
        integrationId,
        item: 'integration',
        reason: expect.any(String),
      }),
    ]);
    expect(logged('audit anchors').at(-1)).toMatchObject({ anchored: 0, broken: 1 });
  }, 60_000);
});
