import { readFileSync } from 'node:fs';
import type { RunningServer } from '../test/support/local-server.js';
import type { HostileTarget } from './hostile.js';

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** The accounts, ids and tokens (good, foreign, expired, forged, `alg: none`) the hostile run aims at. */
export async function hostileTarget(server: RunningServer): Promise<HostileTarget> {
  const account = `hostile-${Date.now()}`;
  const admin = await server.token(account, 'mallory');
  const outsider = await server.token(`${account}-other`, 'oscar');
  const post = async (token: string, path: string, json: unknown) =>
    (await (await server.request(path, { method: 'POST', token, json })).json()) as {
      integration: { id: string };
      key: { id: string };
    };
  const own = await post(admin, '/integrations', { name: 'Hostile target' });
  const foreign = await post(outsider, '/integrations', { name: 'Foreign' });
  await post(outsider, '/integrations', { name: 'Foreign 2' });
  const page = (await (await server.request('/integrations?limit=1', { token: outsider })).json()) as {
    nextCursor: string;
  };
  const expired = await server.token(account, 'mallory', 'admin', '1s');
  await new Promise((resolve) => setTimeout(resolve, 2_100));
  const [header, , signature] = admin.split('.');
  return {
    url: server.url,
    tokens: {
      admin,
      viewer: await server.token(account, 'vic', 'viewer'),
      outsider,
      expired,
      forged: `${header}.${b64({ sub: 'mallory', account_id: `${account}-other`, roles: ['admin'] })}.${signature}`,
      none: `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'mallory', account_id: account, roles: ['admin'], exp: 4_102_444_800 })}.`,
      garbage: 'not.a.jwt',
    },
    ids: {
      integrationId: own.integration.id,
      keyId: own.key.id,
      foreignIntegrationId: foreign.integration.id,
      foreignKeyId: foreign.key.id,
      foreignCursor: page.nextCursor,
    },
  };
}

/** The server process's resident memory, in MiB. */
export function residentMiB(pid: number | undefined): number {
  if (!pid) return 0;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}
