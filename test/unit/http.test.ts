import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiGatewayEvent } from '../../local/api-event.js';
import { localIssuer, newLocalKey } from '../../local/dev-auth.js';
import { awsError, type FakeCall, startFakeAws } from '../support/fake-aws.js';

// Unit tier: the handlers' real DynamoDB client talks to a fake HTTP peer that answers on cue, to isolate
// the error mapping; the conditions themselves are proven against DynamoDB Local in test/connected.
let ddb: Awaited<ReturnType<typeof startFakeAws>>;
const tokens = { admin: '' };
type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
let listKeys: Handler;
let revokeKey: Handler;

beforeAll(async () => {
  ddb = await startFakeAws();
  vi.stubEnv('TABLE_NAME', 'unit-table');
  vi.stubEnv('AWS_REGION', 'us-east-1');
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'unit');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'unit');
  vi.stubEnv('AWS_ENDPOINT_URL_DYNAMODB', ddb.endpoint);
  // These tests provoke failures on purpose; their log lines are expected, not news.
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
  const issuer = await localIssuer(await newLocalKey());
  for (const [name, value] of Object.entries(issuer.env)) vi.stubEnv(name, value);
  tokens.admin = await issuer.sign({ account: 'acme', user: 'alice', roles: ['admin'] });
  listKeys = (await import('../../functions/list-keys.js')).handler as unknown as Handler;
  revokeKey = (await import('../../functions/revoke-key.js')).handler as unknown as Handler;
});
afterAll(async () => {
  vi.unstubAllEnvs();
  await ddb.close();
});

const integrationId = 'int_01M8STXNSD0WK015E9HDB2KRD3';
const keyId = 'key_01M8STXNSD4ZY5FGN1KN4W6R3F';

function event(pathParameters: Record<string, string>): APIGatewayProxyEventV2WithJWTAuthorizer {
  return apiGatewayEvent({
    method: 'GET',
    path: '/x',
    params: pathParameters,
    headers: { authorization: `Bearer ${tokens.admin}` },
    sourceIp: '198.51.100.1',
    requestId: 'req-123',
  });
}

const context = { awsRequestId: 'req-123', functionName: 'unit' } as Context;

const wire = (item: Record<string, unknown>) => marshall(item, { removeUndefinedValues: true });

/**
 * Answers GetItem by the item's sort key (the key answers `key` first and `keyAfter` on later reads) and
 * every other operation with `other`.
 */
function storedItems(
  key: Record<string, unknown>,
  keyAfter = key,
  other: (call: FakeCall) => { status?: number; body?: unknown } = () => ({ body: {} }),
) {
  let keyReads = 0;
  ddb.answer((call) => {
    if (call.operation !== 'GetItem') return other(call);
    const sk = (call.input.Key as { sk: { S: string } }).sk.S;
    if (sk.startsWith('INTEGRATION#'))
      return { body: { Item: wire({ id: integrationId, accountId: 'acme', apiKey: 'ak_x', name: 'n' }) } };
    if (sk === 'APIKEY')
      return { body: { Item: wire({ accountId: 'acme', integrationId, keys: {}, retired: {} }) } };
    keyReads++;
    const item = {
      id: keyId,
      integrationId,
      accountId: 'acme',
      name: 'k',
      ...(keyReads === 1 ? key : keyAfter),
    };
    return { body: { Item: wire(item) } };
  });
}

const throttled = { status: 400, body: awsError('ThrottlingException', 'Rate exceeded') };

describe('HTTP error policy', () => {
  it('an unexpected failure is a generic 500 with the request id, no detail and no stack', async () => {
    ddb.answer(() => ({
      status: 400,
      body: awsError('ValidationException', 'internal detail: table arn:aws:dynamodb:eu-west-1:123:table/x'),
    }));
    const response = await listKeys(event({ integrationId }), context);
    expect(response.statusCode).toBe(500);
    const body = JSON.parse(response.body ?? '{}');
    expect(body.error.code).toBe('internal_error');
    expect(body.error.message).toContain('req-123');
    expect(response.body).not.toContain('internal detail');
    expect(response.body).not.toContain('at ');
  });

  it('throttling on a read or a write is a 503 that says a retry is safe', async () => {
    ddb.answer(() => throttled);
    const read = await listKeys(event({ integrationId }), context);
    // The client retried the throttled read (three attempts) before giving up.
    expect(ddb.calls.map((call) => call.operation)).toEqual(['Query', 'Query', 'Query']);
    expect(read.statusCode).toBe(503);
    expect(JSON.parse(read.body ?? '{}').error).toMatchObject({
      code: 'temporarily_unavailable',
      message: /Retry/,
    });
    storedItems({ status: 'active' }, undefined, () => throttled);
    const write = await revokeKey(event({ integrationId, keyId }), context);
    expect(write.statusCode).toBe(503);
    const writes = ddb.calls.filter((call) => call.operation === 'TransactWriteItems');
    expect(writes).toHaveLength(3);
    // Every retry resends the same idempotency token, so a write that did land is not applied twice.
    expect(new Set(writes.map((call) => call.input.ClientRequestToken)).size).toBe(1);
    expect(writes[0]?.input.ClientRequestToken).toMatch(/^[\w-]{36}$/);
  });

  it('a lost condition on revoke reports the key as the failed condition returned it, with no re-read', async () => {
    const revokedByBob = wire({
      id: keyId,
      integrationId,
      accountId: 'acme',
      name: 'k',
      status: 'revoked',
      revokedBy: 'bob',
    });
    storedItems({ status: 'active' }, undefined, () => ({
      status: 400,
      body: awsError('TransactionCanceledException', 'Transaction cancelled', {
        CancellationReasons: [
          { Code: 'ConditionalCheckFailed', Item: revokedByBob },
          { Code: 'None' },
          { Code: 'None' },
        ],
      }),
    }));
    const response = await revokeKey(event({ integrationId, keyId }), context);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ status: 'revoked', revokedBy: 'bob' });
    // The integration and the key are read; the failed condition itself says who revoked it.
    expect(ddb.calls.map((call) => call.operation)).toEqual(['GetItem', 'GetItem', 'TransactWriteItems']);
  });

  it('answers with its own 503 before the function times out when DynamoDB never answers', async () => {
    ddb.answer(() => ({ delayMs: 20_000, body: {} }));
    // 2.5 s left: the function must answer within 1.5 s, far inside the SDK's own timeouts and retries.
    const response = await listKeys(event({ integrationId }), {
      ...context,
      getRemainingTimeInMillis: () => 2_500,
    });
    expect(response.statusCode).toBe(503);
    expect(JSON.parse(response.body ?? '{}').error.code).toBe('temporarily_unavailable');
    expect(ddb.calls).toHaveLength(1);
  });

  it('every response carries the security headers and no-store', async () => {
    ddb.answer(() => ({ body: { Items: [] } }));
    const response = await listKeys(event({ integrationId }), context);
    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/json; charset=utf-8',
    });
  });
});
