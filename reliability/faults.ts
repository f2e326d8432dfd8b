import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newLocalKey } from '../local/dev-auth.js';
import { startDynamoDbLocal } from '../local/dynamodb-local.js';
import { signedHeaders } from '../test/support/integration-client.js';
import { type RunningServer, startLocalServer } from '../test/support/local-server.js';
import { type DynamoFault, startFaultProxy } from './fault-proxy.js';

/**
 * Faults, one row each: the API's answer while the fault lasts, and then, with the fault gone, whether
 * the key is still viewable or usable, whether a retry gets what was lost, and whether anything was
 * half-written. KMS faults come from the stand-in's switch; DynamoDB faults from a proxy in front of
 * DynamoDB Local; a crash is a SIGKILL of the server process at the commit, then a restart.
 */
export interface FaultRow {
  fault: string;
  operation: string;
  answer: string;
  after: string;
  pass: boolean;
}

type Json = Record<string, unknown>;

export async function runFaults(options: { quick?: boolean; onRow?: (row: FaultRow) => void } = {}) {
  const dynamodb = await startDynamoDbLocal();
  const proxy = await startFaultProxy(dynamodb.endpoint);
  const dataDir = mkdtempSync(join(tmpdir(), 'ssk-faults-'));
  const env = {
    LOCAL_DYNAMODB_ENDPOINT: proxy.endpoint,
    DATA_DIR: dataDir,
    LOCAL_JWT_KEY: await newLocalKey(),
  };
  let server: RunningServer = await startLocalServer(env);
  const outputs: (() => string)[] = [() => server.output()];
  const rows: FaultRow[] = [];
  const account = `faults-${Date.now()}`;
  const token = await server.token(account, 'alice');
  const call = async (method: string, path: string, json?: unknown) => {
    const response = await server.request(path, { method, token, json });
    const text = await response.text();
    let body: Json = {};
    try {
      body = JSON.parse(text) as Json;
    } catch {
      body = { unparsed: text.slice(0, 80) };
    }
    return { status: response.status, body, json: text.startsWith('{') };
  };
  const describe = (r: { status: number; body: Json; json: boolean }) =>
    `${r.status} ${(r.body.error as { code?: string } | undefined)?.code ?? (r.status < 300 ? 'ok' : String(r.body.message ?? ''))}${r.json ? '' : ' (not JSON)'}`;
  const kms = (fault: string, operations?: string[]) =>
    fetch(`${server.kmsEndpoint}/__standin/fault`, {
      method: 'POST',
      body: JSON.stringify({ fault, operations }),
    });
  const fresh = async () => {
    const created = await call('POST', '/integrations', { name: 'fault target' });
    const integration = created.body.integration as { id: string; apiKey: string };
    const key = created.body.key as { id: string };
    return { integrationId: integration.id, apiKey: integration.apiKey, keyId: key.id };
  };
  const keysOf = async (integrationId: string) =>
    ((await call('GET', `/integrations/${integrationId}/keys`)).body.items ?? []) as {
      id: string;
      status: string;
      viewable: boolean;
      viewedBy: string | null;
    }[];
  const auditOf = async (integrationId: string) =>
    ((await call('GET', `/integrations/${integrationId}/audit?limit=100`)).body.items ?? []) as {
      action: string;
    }[];
  const record = (row: FaultRow) => {
    rows.push(row);
    options.onRow?.(row);
  };

  /** Each operation under a fault, then its state checked with the fault gone. */
  const operations: Record<
    string,
    (inject: () => Promise<void>, clear: () => Promise<void>) => Promise<[string, string, boolean]>
  > = {
    async reveal(inject, clear) {
      const { integrationId, keyId } = await fresh();
      await inject();
      const during = await call('POST', `/integrations/${integrationId}/keys/${keyId}/reveal`);
      await clear();
      const [key] = await keysOf(integrationId);
      const audit = (await auditOf(integrationId)).filter((e) => e.action === 'key.revealed').length;
      if (during.status === 200)
        return [describe(during), `revealed once (audit ${audit})`, !key?.viewable && audit === 1];
      const retry = await call('POST', `/integrations/${integrationId}/keys/${keyId}/reveal`);
      const secretBack = retry.status === 200 && typeof retry.body.secret === 'string';
      return [
        describe(during),
        `still viewable: ${key?.viewable}; retry ${retry.status}`,
        during.json && Boolean(key?.viewable) && secretBack,
      ];
    },
    async 'create key'(inject, clear) {
      const { integrationId } = await fresh();
      await inject();
      const during = await call('POST', `/integrations/${integrationId}/keys`, { name: 'during fault' });
      await clear();
      const keys = await keysOf(integrationId);
      const created = (await auditOf(integrationId)).filter((e) => e.action === 'key.created').length;
      const consistent = keys.length === 1 + created;
      const ok = during.status === 201 ? created === 1 : during.json && during.status >= 400;
      return [describe(during), `${keys.length} keys, ${created} key.created`, consistent && ok];
    },
    async 'create integration'(inject, clear) {
      const before = ((await call('GET', '/integrations?limit=100')).body.items as unknown[]).length;
      await inject();
      const during = await call('POST', '/integrations', { name: 'during fault' });
      await clear();
      const items = (await call('GET', '/integrations?limit=100')).body.items as { id: string }[];
      const whole = await Promise.all(items.map(async (i) => (await keysOf(i.id)).length >= 1));
      const added = items.length - before;
      const ok = during.status === 201 ? added === 1 : during.json && added === 0;
      return [
        describe(during),
        `${added} added, every one with its key: ${whole.every(Boolean)}`,
        ok && whole.every(Boolean),
      ];
    },
    async rotate(inject, clear) {
      const { integrationId, keyId } = await fresh();
      await inject();
      const during = await call('POST', `/integrations/${integrationId}/keys/${keyId}/rotate`, {});
      await clear();
      const keys = await keysOf(integrationId);
      const rotated = (await auditOf(integrationId)).filter((e) => e.action === 'key.rotated').length;
      const old = keys.find((k) => k.id === keyId);
      const consistent =
        rotated === 0
          ? keys.length === 1 && old?.status === 'active'
          : keys.length === 2 && old?.status === 'expiring';
      const ok = during.status === 201 ? rotated === 1 : during.json;
      return [
        describe(during),
        `${keys.length} keys, old ${old?.status}, ${rotated} key.rotated`,
        consistent && ok,
      ];
    },
    async revoke(inject, clear) {
      const { integrationId, keyId } = await fresh();
      await inject();
      const during = await call('DELETE', `/integrations/${integrationId}/keys/${keyId}`);
      await clear();
      const [key] = await keysOf(integrationId);
      const revoked = (await auditOf(integrationId)).filter((e) => e.action === 'key.revoked').length;
      const consistent = (key?.status === 'revoked') === (revoked === 1);
      return [describe(during), `status ${key?.status}, ${revoked} key.revoked`, consistent && during.json];
    },
    async verify(inject, clear) {
      const { integrationId, apiKey } = await fresh();
      const created = await call('POST', `/integrations/${integrationId}/keys`, { name: 'signer' });
      const secret = String(created.body.secret);
      const body = '{"ping":1}';
      const signed = async () => {
        const response = await server.request('/v1/signature-check', {
          method: 'POST',
          headers: signedHeaders({ secret, apiKey, body }),
          body,
        });
        return { status: response.status, body: (await response.json()) as Json, json: true };
      };
      await inject();
      const during = await signed();
      await clear();
      // Valid again once the fault is gone — after any decrypt still in flight from the faulty moment
      // (which concurrent verifications of that key share) has settled.
      const cleared = Date.now();
      let afterwards = await signed();
      while (afterwards.status !== 200 && Date.now() - cleared < 10_000) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        afterwards = await signed();
      }
      // Fails closed: never "valid" on an error.
      const closed = during.status === 200 ? during.body.valid === true : during.body.valid !== true;
      return [
        describe(during),
        `valid again after ${((Date.now() - cleared) / 1000).toFixed(1)} s`,
        closed && afterwards.status === 200,
      ];
    },
  };

  operations.sign = async (inject, clear) => {
    // A fresh integration: its signing key is not in the key cache yet, so signing needs KMS.
    const { integrationId } = await fresh();
    const sign = async () => {
      const response = await fetch(`${server.url}/internal/sign-webhook`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ accountId: account, integrationId, payload: '{"event":"x"}' }),
      });
      return { status: response.status, body: (await response.json()) as Json, json: true };
    };
    await inject();
    const during = await sign();
    await clear();
    const cleared = Date.now();
    let afterwards = await sign();
    while (!afterwards.body.headers && Date.now() - cleared < 10_000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      afterwards = await sign();
    }
    // Never headers signed with something else: either signed, or an error that says retry.
    // A refusal the caller can retry is `{ error }`; a misconfiguration (AccessDenied) is a function
    // error, which Lambda reports to the invoker as such (locally a 500) — loud, and never a signature.
    const code = (during.body.error as { code?: string } | undefined)?.code;
    const answer = during.body.headers
      ? '200 signed'
      : `${during.status} ${code ?? String(during.body.message ?? 'error')}`;
    const closed = Boolean(during.body.headers) || Boolean(code) || during.status >= 500;
    return [
      answer,
      `signs again after ${((Date.now() - cleared) / 1000).toFixed(1)} s`,
      closed && Boolean(afterwards.body.headers),
    ];
  };

  const kmsFaults = options.quick ? ['unavailable'] : ['throttle', 'unavailable', 'access-denied', 'timeout'];
  const kmsOps = options.quick
    ? ['reveal', 'verify']
    : ['create integration', 'create key', 'reveal', 'rotate', 'verify', 'sign'];
  try {
    for (const fault of kmsFaults) {
      for (const operation of kmsOps) {
        const run = operations[operation];
        if (!run) continue;
        const [answer, after, pass] = await run(
          async () => void (await kms(fault)),
          async () => void (await kms('none')),
        );
        record({ fault: `KMS ${fault}`, operation, answer, after, pass });
      }
    }
    const dynamoFaults: DynamoFault[] = options.quick
      ? ['throttle', 'reset-after']
      : ['throttle', 'conflict', 'server-error', 'timeout', 'reset', 'reset-after'];
    const writes = ['PutItem', 'UpdateItem', 'TransactWriteItems'];
    const dynamoOps = options.quick
      ? ['reveal', 'rotate']
      : ['create integration', 'create key', 'reveal', 'rotate', 'revoke'];
    for (const fault of dynamoFaults) {
      for (const operation of dynamoOps) {
        const run = operations[operation];
        if (!run) continue;
        // Transient faults hit the first attempt only, so the SDK's retry meets the real DynamoDB.
        const times = fault === 'timeout' ? 0 : 1;
        const [answer, after, pass] = await run(
          async () => proxy.set(fault, writes, times),
          async () => proxy.set('none'),
        );
        record({ fault: `DynamoDB ${fault} (write)`, operation, answer, after, pass });
      }
    }

    // The process killed between decrypt and commit, and between commit and response; then the retry.
    for (const moment of ['before the commit', 'after the commit'] as const) {
      const { integrationId, keyId } = await fresh();
      const killed = server;
      proxy.intercept('UpdateItem', {
        before: async () => {
          if (moment !== 'before the commit') return undefined;
          killed.child.kill('SIGKILL');
          return 'drop';
        },
        after: async () => {
          if (moment === 'after the commit') killed.child.kill('SIGKILL');
        },
      });
      const during = await killed
        .request(`/integrations/${integrationId}/keys/${keyId}/reveal`, { method: 'POST', token })
        .then((r) => `${r.status}`)
        .catch(() => 'connection lost');
      await new Promise((resolve) => setTimeout(resolve, 300));
      outputs.push(killed.output);
      server = await startLocalServer(env);
      const retry = await call('POST', `/integrations/${integrationId}/keys/${keyId}/reveal`);
      const [key] = await keysOf(integrationId);
      const revealed = (await auditOf(integrationId)).filter((e) => e.action === 'key.revealed').length;
      const pass =
        moment === 'before the commit'
          ? retry.status === 200 && revealed === 1
          : retry.status === 410 && key?.viewedBy === 'alice' && revealed === 1;
      record({
        fault: `process killed ${moment}`,
        operation: 'reveal',
        answer: during,
        after: `retry ${describe(retry)}${retry.status === 410 ? ` (viewed by ${key?.viewedBy})` : ''}, ${revealed} key.revealed`,
        pass,
      });
    }
  } finally {
    await server.interrupt().catch(() => undefined);
    await proxy.close();
    await dynamodb.stop();
  }
  return { rows, output: outputs.map((output) => output()).join('\n') };
}
