import type {
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { apiGatewayEvent } from '../../local/api-event.js';
import { localIssuer, newLocalKey } from '../../local/dev-auth.js';

/**
 * The HTTP layer every function shares (shared/http/api.ts), in process: how it reads a body, what it
 * answers for each kind of failure, and the one access line it logs per request.
 */
type Handler = (
  event: APIGatewayProxyEventV2WithJWTAuthorizer,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;
type Api = typeof import('../../shared/http/api.js');
type Errors = typeof import('../../shared/domain/errors.js');

let echo: Handler;
let failing: (error: unknown) => Handler;
let errors: Errors;
let slow: Handler;
let api: Api['api'];
let logger: typeof import('../../shared/http/logger.js')['logger'];
let paged: Handler;
let token = '';
const lines: Record<string, unknown>[] = [];

beforeAll(async () => {
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('POWERTOOLS_DEV', '');
  const issuer = await localIssuer(await newLocalKey());
  for (const [name, value] of Object.entries(issuer.env)) vi.stubEnv(name, value);
  token = await issuer.sign({ account: 'acme', user: 'alice', roles: ['admin'] });
  ({ api } = (await import('../../shared/http/api.js')) as Api);
  const { CreateKeyBody, IntegrationParams } = await import('../../shared/http/schemas.js');
  errors = (await import('../../shared/domain/errors.js')) as Errors;
  echo = api({ params: IntegrationParams, body: CreateKeyBody }, async ({ params, body, actor }) => ({
    statusCode: 201,
    body: { params, body, user: actor.userId },
  })) as unknown as Handler;
  ({ logger } = await import('../../shared/http/logger.js'));
  const { PageQuery } = await import('../../shared/http/schemas.js');
  slow = api({}, async () => {
    await new Promise((resolve) => setTimeout(resolve, 30));
    return { statusCode: 200, body: {} };
  }) as unknown as Handler;
  paged = api({ query: PageQuery }, async ({ query }) => ({
    statusCode: 200,
    body: query,
  })) as unknown as Handler;
  failing = (error) =>
    api({}, async () => {
      throw error;
    }) as unknown as Handler;
  // The logger writes INFO to stdout and WARN/ERROR to stderr, one JSON object a line.
  for (const stream of [process.stdout, process.stderr]) {
    const write = stream.write.bind(stream);
    vi.spyOn(stream, 'write').mockImplementation((chunk, ...rest) => {
      const text = String(chunk);
      if (!text.startsWith('{')) return write(chunk, ...(rest as []));
      lines.push(JSON.parse(text) as Record<string, unknown>);
      return true;
    });
  }
});
afterEach(() => {
  lines.length = 0;
});
afterAll(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const integrationId = 'int_01M8STXNSD0WK015E9HDB2KRD3';
const context = { awsRequestId: 'req-1', functionName: 'unit' } as Context;
function event(body?: string, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  return apiGatewayEvent({
    method: 'POST',
    path: '/integrations/{integrationId}/keys',
    params: { integrationId },
    headers: { authorization: `Bearer ${token}`, ...headers },
    body,
    requestId: 'req-1',
  });
}
const errorOf = (result: APIGatewayProxyStructuredResultV2) =>
  (JSON.parse(String(result.body)) as { error: { code: string; message: string } }).error;

describe('the request body', () => {
  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'application/json ; charset=utf-8',
    'APPLICATION/JSON',
    'application/merge-patch+json',
    'application/vnd.api+json',
  ])('is read as JSON with Content-Type %s', async (type) => {
    const result = await echo(event('{"name":"k"}', { 'content-type': type }), context);
    expect(result.statusCode).toBe(201);
    expect(JSON.parse(String(result.body))).toEqual({
      params: { integrationId },
      body: { name: 'k' },
      user: 'alice',
    });
  });

  it.each([
    'text/plain',
    'application/jsonp',
    'xapplication/json',
    'application/+json',
    'application/x-json5',
  ])('is refused (415) with Content-Type %s, naming the type to send', async (type) => {
    const result = await echo(event('{"name":"k"}', { 'content-type': type }), context);
    expect(result.statusCode).toBe(415);
    expect(errorOf(result)).toEqual({
      code: 'unsupported_media_type',
      message: 'Send the body as JSON with Content-Type: application/json.',
    });
  });

  it('with no Content-Type at all is refused too', async () => {
    const result = await echo(event('{"name":"k"}', {}), context);
    expect(result.statusCode).toBe(415);
  });

  it('absent or empty is an empty object, so the schema names what is required', async () => {
    for (const body of [undefined, '']) {
      const result = await echo({ ...event(), body }, context);
      expect(result.statusCode).toBe(400);
      expect(errorOf(result)).toEqual({ code: 'invalid_request', message: 'body.name: name is required' });
    }
  });

  it('base64-encoded is decoded first; not JSON is a 400 that says so', async () => {
    const encoded = {
      ...event(),
      body: Buffer.from('{"name":"b64"}').toString('base64'),
      isBase64Encoded: true,
    };
    expect(JSON.parse(String((await echo(encoded, context)).body)).body).toEqual({ name: 'b64' });
    const broken = await echo(event('{"name":'), context);
    expect(broken.statusCode).toBe(400);
    expect(errorOf(broken)).toEqual({ code: 'invalid_request', message: 'body: not valid JSON.' });
  });

  it('path parameters are checked with the path named', async () => {
    const result = await echo({ ...event('{"name":"k"}'), pathParameters: { integrationId: 'x' } }, context);
    expect(errorOf(result)).toEqual({
      code: 'invalid_request',
      message: 'path.integrationId: must be an integration id like int_01J…',
    });
  });
});

describe('failures and the access line', () => {
  const access = () => lines.filter((line) => line.message === 'request');

  it('one access line per request: route, status, a duration, the request id; never the body', async () => {
    await echo(event('{"name":"secret-looking-name"}'), context);
    expect(access()).toHaveLength(1);
    const [line] = access();
    expect(line).toMatchObject({
      level: 'INFO',
      route: 'POST /integrations/{integrationId}/keys',
      status: 201,
      requestId: 'req-1',
    });
    expect(line?.durationMs).toBeGreaterThanOrEqual(0);
    expect(line?.durationMs).toBeLessThan(60_000);
    expect(JSON.stringify(lines)).not.toContain('secret-looking-name');
  });

  it('a domain error is its JSON, logged as an access line only; a 503 also warns with its code', async () => {
    const notFound = await failing(new errors.NotFoundError('integration', integrationId))(event(), context);
    expect(notFound.statusCode).toBe(404);
    expect(lines.map((line) => line.level)).toEqual(['INFO']);
    expect(access()[0]).toMatchObject({ status: 404 });

    lines.length = 0;
    const busy = await failing(new errors.RetryableError())(event(), context);
    expect(busy.statusCode).toBe(503);
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['WARN', 'dependency unavailable'],
      ['INFO', 'request'],
    ]);
    expect(lines[0]).toMatchObject({ code: errorOf(busy).code });
  });

  it('anything else is a generic 500 quoting the request id, its detail only in the error log', async () => {
    const result = await failing(new TypeError('boom at line 7'))(event(), context);
    expect(result.statusCode).toBe(500);
    expect(errorOf(result)).toEqual({
      code: 'internal_error',
      message: 'Something went wrong on our side. Quote request id req-1 if it persists.',
    });
    expect(lines.map((line) => [line.level, line.message])).toEqual([
      ['ERROR', 'unhandled error'],
      ['INFO', 'request'],
    ]);
    expect(JSON.stringify(lines[0])).toContain('boom at line 7');
    expect(access()[0]).toMatchObject({ status: 500 });
  });

  it('an event without the request context API Gateway always sets (not a request a client can send) still gets JSON and its access line', async () => {
    const bare = {
      ...event('{"name":"k"}'),
      requestContext: undefined,
    } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
    const result = await failing(new TypeError('boom'))(bare, context);
    expect(result.statusCode).toBe(500);
    expect(errorOf(result).code).toBe('internal_error');
    expect(access()).toHaveLength(1);
    expect(access()[0]).toMatchObject({ status: 500 });
    expect(access()[0]?.requestId).toBeUndefined();
  });

  it('the duration runs from the start of the request to its answer', async () => {
    await slow(event(), context);
    expect(access()[0]?.durationMs).toBeGreaterThanOrEqual(25);
  });

  it('keys a handler adds to the log context are gone by the next request', async () => {
    // Built here, not before the tests: building a handler runs the chain's set-up, which this pins.
    // It adds a key to the log context, as a handler may for its own lines.
    const tagged = api({}, async () => {
      logger.appendKeys({ tenant: 'acme-only' });
      return { statusCode: 200, body: {} };
    }) as unknown as Handler;
    await tagged(event(), context);
    expect(access()[0]).toMatchObject({ tenant: 'acme-only' });
    lines.length = 0;
    await echo(event('{"name":"k"}'), context);
    expect(access()[0]).not.toHaveProperty('tenant');
  });

  it('any 5xx answer from the domain is logged as a warning', async () => {
    await failing(new errors.DomainError(500, 'odd', 'An odd failure.'))(event(), context);
    expect(lines.map((line) => line.level)).toEqual(['WARN', 'INFO']);
  });

  it('query parameters are checked with the query named', async () => {
    const result = await paged({ ...event(), queryStringParameters: { limit: '0' } }, context);
    expect(errorOf(result)).toEqual({ code: 'invalid_request', message: 'query.limit: must be at least 1' });
    const fine = await paged({ ...event(), queryStringParameters: undefined }, context);
    expect(JSON.parse(String(fine.body))).toEqual({ limit: 25 });
  });
});
