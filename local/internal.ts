import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import { internalFunctions } from '../shared/routes.js';
import { lambdaContext } from './server.js';

type Invoke = (event: unknown, context: Context) => Promise<unknown>;

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|::ffff:127\.\d+\.\d+\.\d+)$/;
const LOOPBACK_HOST = /^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/i;

/**
 * A request from this machine that names this machine. A page in the developer's browser can reach
 * loopback through a DNS name it controls (DNS rebinding); such a request still names that host.
 */
export const fromLoopback = (req: IncomingMessage) =>
  LOOPBACK.test(req.socket.remoteAddress ?? '') && LOOPBACK_HOST.test(req.headers.host ?? '');

/**
 * The internal functions, which on AWS are invoked directly with IAM credentials, served locally as
 * POST /internal/<name> with the same JSON in and out — to loopback clients only.
 */
export async function internalOperations() {
  const handlers = new Map<string, Invoke>();
  for (const fn of internalFunctions) {
    const module = (await import(`../functions/${fn.handler}.ts`)) as { handler: Invoke };
    handlers.set(`/internal/${fn.handler}`, module.handler);
  }
  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handler = handlers.get(path);
    if (!handler) return false;
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(payload));
    };
    // A page in the developer's browser can reach loopback through a DNS name it controls (DNS
    // rebinding); such a request still names that host, so only loopback names are answered.
    if (!fromLoopback(req)) {
      send(403, {
        error: { code: 'forbidden', message: 'Internal operations answer loopback clients only.' },
      });
      return true;
    }
    if (req.method !== 'POST') {
      send(405, { error: { code: 'method_not_allowed', message: `Use POST ${path} with a JSON body.` } });
      return true;
    }
    let event: unknown;
    try {
      event = JSON.parse(body.toString('utf8') || '{}');
    } catch {
      send(400, { error: { code: 'invalid_request', message: 'body: not valid JSON.' } });
      return true;
    }
    const name = path.slice('/internal/'.length);
    send(200, await handler(event, lambdaContext(name, crypto.randomUUID())));
    return true;
  };
}
