import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';

// Unit tier: no network. The SDK client is mocked only to isolate the error mapping; the conditions
// themselves are proven against DynamoDB Local in test/connected.
const ddb = mockClient(DynamoDBDocumentClient);
type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
let listKeys: Handler;
let revokeKey: Handler;

beforeAll(async () => {
  vi.stubEnv('TABLE_NAME', 'unit-table');
  listKeys = (await import('../../functions/list-keys.js')).handler as unknown as Handler;
  revokeKey = (await import('../../functions/revoke-key.js')).handler as unknown as Handler;
});
afterEach(() => ddb.reset());

const integrationId = 'int_01M8STXNSD0WK015E9HDB2KRD3';
const keyId = 'key_01M8STXNSD4ZY5FGN1KN4W6R3F';

function event(
  pathParameters: Record<string, string>,
  roles = '[admin]',
): APIGatewayProxyEventV2WithJWTAuthorizer {
  return {
    version: '2.0',
    routeKey: 'GET /x',
    rawPath: '/x',
    rawQueryString: '',
    headers: {},
    isBase64Encoded: false,
    pathParameters,
    requestContext: {
      requestId: 'req-123',
      routeKey: 'GET /x',
      http: { method: 'GET', path: '/x', protocol: 'HTTP/1.1', sourceIp: '198.51.100.1', userAgent: 'test' },
      authorizer: { jwt: { claims: { sub: 'alice', account_id: 'acme', roles }, scopes: [] } },
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}

const context = { awsRequestId: 'req-123', functionName: 'unit' } as Context;

/** Answers GetItem by the item's sort key; the key answers `key` first and `keyAfter` on later reads. */
function storedItems(key: Record<string, unknown>, keyAfter = key) {
  let keyReads = 0;
  ddb.on(GetCommand).callsFake((input: { Key: { sk: string } }) => {
    const sk = input.Key.sk;
    if (sk.startsWith('INTEGRATION#'))
      return { Item: { id: integrationId, accountId: 'acme', apiKey: 'ak_x', name: 'n' } };
    if (sk === 'APIKEY') return { Item: { accountId: 'acme', integrationId, keys: {}, retired: {} } };
    keyReads++;
    return {
      Item: { id: keyId, integrationId, accountId: 'acme', name: 'k', ...(keyReads === 1 ? key : keyAfter) },
    };
  });
}

describe('HTTP error policy', () => {
  it('an unexpected failure is a generic 500 with the request id, no detail and no stack', async () => {
    ddb.on(QueryCommand).rejects(new Error('internal detail: table arn:aws:dynamodb:eu-west-1:123:table/x'));
    const response = await listKeys(event({ integrationId }), context);
    expect(response.statusCode).toBe(500);
    const body = JSON.parse(response.body ?? '{}');
    expect(body.error.code).toBe('internal_error');
    expect(body.error.message).toContain('req-123');
    expect(response.body).not.toContain('internal detail');
    expect(response.body).not.toContain('at ');
  });

  it('throttling on a read or a write is a 503 that says a retry is safe', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), {
      name: 'ThrottlingException',
      $metadata: {},
    });
    ddb.on(QueryCommand).rejects(throttled);
    const read = await listKeys(event({ integrationId }), context);
    expect(read.statusCode).toBe(503);
    expect(JSON.parse(read.body ?? '{}').error).toMatchObject({
      code: 'temporarily_unavailable',
      message: /Retry/,
    });
    storedItems({ status: 'active' });
    ddb.on(TransactWriteCommand).rejects(throttled);
    const write = await revokeKey(event({ integrationId, keyId }), context);
    expect(write.statusCode).toBe(503);
  });

  it('a lost condition on revoke reads the key back and reports it revoked, once', async () => {
    storedItems({ status: 'active' }, { status: 'revoked', revokedBy: 'bob' });
    ddb.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        $metadata: {},
        CancellationReasons: [{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }, { Code: 'None' }],
      }),
    );
    const response = await revokeKey(event({ integrationId, keyId }), context);
    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body ?? '{}')).toMatchObject({ status: 'revoked', revokedBy: 'bob' });
  });

  it('every response carries the security headers and no-store', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    const response = await listKeys(event({ integrationId }), context);
    expect(response.statusCode).toBe(404);
    expect(response.headers).toMatchObject({
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-type': 'application/json; charset=utf-8',
    });
  });
});
