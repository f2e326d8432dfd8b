import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { FUNCTION_TIMEOUT_SECONDS, type RouteSpec } from '../shared/routes.js';
import { apiGatewayEvent } from './api-event.js';

export type LambdaHandler = (event: never, context: Context) => Promise<unknown>;

export interface LocalRoute {
  method: string;
  path: string;
  public?: boolean;
  /** Also answers HEAD (headers only). */
  head?: boolean;
  handler: LambdaHandler;
  functionName: string;
}

interface CompiledRoute extends LocalRoute {
  pattern: RegExp;
  names: string[];
}

function compile(route: LocalRoute): CompiledRoute {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { ...route, pattern: new RegExp(`^${source}$`), names };
}

/** What Lambda hands a handler, with the deployed function's timeout (the handlers' deadline follows it). */
export function lambdaContext(functionName: string, requestId: string): Context {
  const deadline = Date.now() + FUNCTION_TIMEOUT_SECONDS * 1000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: requestId,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function gatewayError(res: ServerResponse, status: number, message: string) {
  // API Gateway itself answers these (unknown route, failed JWT authorizer) in this shape.
  res.writeHead(status, {
    'content-type': 'application/json',
    ...(status === 401 ? { 'www-authenticate': 'Bearer' } : {}),
  });
  res.end(JSON.stringify({ message }));
}

/** API Gateway's payload limit: 10 MB. */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;

class PayloadTooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new PayloadTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function clientError(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify({ error: { code, message } }));
}

/**
 * The request path as sent: not normalised (no `.`/`..` resolution, which would let
 * `/integrations/../health` reach another route than the one written), split into segments.
 */
function rawPath(url: string): string {
  return url.split('?')[0] ?? '/';
}
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|$)/i;

/**
 * An API Gateway HTTP API stand-in: matches the route, checks the bearer token like the JWT authorizer,
 * turns the request into a payload v2 event and calls the same Lambda handler that runs on AWS.
 */
export function createLocalServer(options: {
  routes: LocalRoute[];
  /** Checks a bearer token first, as API Gateway's JWT authorizer does before any function runs. */
  authorize: (authorization: string | undefined) => Promise<Record<string, string> | undefined>;
  /** Extra non-API handlers (the dashboard page, loopback-only internal operations). */
  fallback?: (req: IncomingMessage, res: ServerResponse, body: Buffer) => Promise<boolean>;
}): Server {
  const compiled = options.routes.map(compile);

  return createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const path = rawPath(req.url ?? '/');
      const method = (req.method ?? 'GET').toUpperCase();
      let body: Buffer;
      try {
        body = await readBody(req);
      } catch (error) {
        if (!(error instanceof PayloadTooLarge)) throw error;
        res.setHeader('connection', 'close');
        return clientError(res, 413, 'payload_too_large', 'The request body is over the 10 MB limit.');
      }
      // A preflight: API Gateway answers it itself when CORS is configured; the local dashboard is
      // same-origin, so no origin is allowed here.
      if (method === 'OPTIONS') {
        res.writeHead(204);
        return res.end();
      }
      let match: { route: CompiledRoute; params: Record<string, string> } | undefined;
      if (!DOT_SEGMENT.test(path)) {
        for (const route of compiled) {
          const found = route.pattern.exec(path);
          if (!found) continue;
          if (route.method !== method && !(method === 'HEAD' && route.head)) continue;
          const params: Record<string, string> = {};
          try {
            route.names.forEach((name, index) => {
              params[name] = decodeURIComponent(found[index + 1] ?? '');
            });
          } catch {
            return clientError(
              res,
              400,
              'invalid_request',
              'The path has a broken percent-escape: write a literal % as %25 and escape only whole UTF-8 characters.',
            );
          }
          match = { route, params };
          break;
        }
      }
      if (!match) {
        if (options.fallback && (await options.fallback(req, res, body))) return;
        // API Gateway's HTTP API answers an unknown path and a known path with another method alike.
        return gatewayError(res, 404, 'Not Found');
      }

      const { route, params } = match;
      const claims = route.public ? undefined : await options.authorize(req.headers.authorization);
      if (!route.public && !claims) return gatewayError(res, 401, 'Unauthorized');

      const headers: Record<string, string> = {};
      for (const [name, value] of Object.entries(req.headers)) {
        if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
      }
      const requestId = randomUUID();
      const event = apiGatewayEvent({
        method,
        path: route.path,
        params,
        rawPath: url.pathname,
        rawQueryString: url.search.replace(/^\?/, ''),
        headers,
        body,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        protocol: `HTTP/${req.httpVersion}`,
        requestId,
        claims,
      });

      const result = (await route.handler(event as never, lambdaContext(route.functionName, requestId))) as
        | APIGatewayProxyStructuredResultV2
        | undefined;
      const responseHeaders: Record<string, string> = {};
      for (const [name, value] of Object.entries(result?.headers ?? {}))
        responseHeaders[name] = String(value);
      res.writeHead(result?.statusCode ?? 200, { ...responseHeaders, 'x-request-id': requestId });
      const payload = result?.body ?? '';
      if (method === 'HEAD') return res.end();
      res.end(result?.isBase64Encoded ? Buffer.from(payload, 'base64') : payload);
    } catch {
      // Same as API Gateway when the integration fails: no detail leaves the server.
      if (!res.headersSent) gatewayError(res, 500, 'Internal Server Error');
      else res.end();
    }
  });
}

export function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

export async function loadRoutes(routes: RouteSpec[]): Promise<LocalRoute[]> {
  return Promise.all(
    routes.map(async (route) => {
      const module = (await import(`../functions/${route.handler}.ts`)) as { handler: LambdaHandler };
      return {
        method: route.method,
        path: route.path,
        public: route.public,
        head: route.head,
        handler: module.handler,
        functionName: route.handler,
      };
    }),
  );
}
