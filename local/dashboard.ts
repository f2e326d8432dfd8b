import type { IncomingMessage, ServerResponse } from 'node:http';
import { CLAIM_LIMITS } from '../shared/http/identity.js';
import { buildDashboard } from '../web/build.js';
import { dashboardHeaders } from '../web/headers.js';
import type { LocalIssuer } from './dev-auth.js';
import { fromLoopback } from './internal.js';

/**
 * The dashboard on the local server, at `/` beside the API (same origin): its files, built at start,
 * a `config.json` that says "local", and `POST /local/token`, the sign-in page's way to a token from
 * the local issuer — loopback only, and only here: the deployed dashboard signs in with Cognito.
 */
export function localDashboard(issuer: Pick<LocalIssuer, 'sign'>) {
  const files = new Map(buildDashboard().map((file) => [file.path, file]));
  const config = Buffer.from(JSON.stringify({ apiUrl: '', auth: { mode: 'local' } }));
  const headers = dashboardHeaders([]);
  const json = (res: ServerResponse, status: number, value: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
    res.end(JSON.stringify(value));
  };

  return async (req: IncomingMessage, res: ServerResponse, body: Buffer): Promise<boolean> => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const method = req.method ?? 'GET';
    if (path === '/local/token') {
      if (!fromLoopback(req)) {
        json(res, 403, {
          error: { code: 'forbidden', message: 'The local sign-in answers loopback clients only.' },
        });
      } else if (method !== 'POST' || !String(req.headers['content-type']).startsWith('application/json')) {
        json(res, 405, {
          error: { code: 'method_not_allowed', message: 'Use POST /local/token with a JSON body.' },
        });
      } else {
        let input: { account?: unknown; user?: unknown; role?: unknown } = {};
        try {
          input = JSON.parse(body.toString('utf8') || '{}');
        } catch {
          // answered below
        }
        const account = typeof input.account === 'string' ? input.account.trim() : '';
        const user = typeof input.user === 'string' ? input.user.trim() : '';
        if (
          !/^[A-Za-z0-9._:@-]+$/.test(account) ||
          account.length > CLAIM_LIMITS.accountId ||
          !user ||
          user.length > CLAIM_LIMITS.userId ||
          (input.role !== 'admin' && input.role !== 'viewer')
        ) {
          json(res, 400, {
            error: {
              code: 'invalid_request',
              message: `Give an account (up to ${CLAIM_LIMITS.accountId} of A-Z a-z 0-9 . _ : @ -), a user and a role (admin or viewer).`,
            },
          });
        } else {
          json(res, 200, {
            token: await issuer.sign({ account, user, roles: [input.role], expiresIn: '12h' }),
          });
        }
      }
      return true;
    }
    if (method !== 'GET' && method !== 'HEAD') return false;
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
      res.end(method === 'HEAD' ? undefined : config);
      return true;
    }
    const file = files.get(path === '/' ? '/index.html' : path);
    if (!file) return false;
    res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-cache', ...headers });
    res.end(method === 'HEAD' ? undefined : file.body);
    return true;
  };
}
