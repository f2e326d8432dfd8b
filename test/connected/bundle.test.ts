import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEPLOYED_BUILD } from '../../infra/bundling.js';
import { ROOT } from '../../infra/paths.js';
import { apiGatewayEvent } from '../../local/api-event.js';
import { startNotifyStandIn } from '../../local/notify-standin.js';
import { startS3StandIn } from '../../local/s3-standin.js';
import { localScanningKeys } from '../../local/scanning-keys.js';
import { internalFunctions, jobs, routes } from '../../shared/routes.js';
import { connectedEngines, stubFunctionEnv } from '../support/engines.js';

/**
 * The deployable artifact, not the source: functions bundled exactly as the CDK app bundles them (ESM,
 * minified) still run, taking their credentials from the environment as Lambda hands them over.
 */
let engines: Awaited<ReturnType<typeof connectedEngines>>;
const outdir = mkdtempSync(join(tmpdir(), 'ssk-bundle-'));

let builds = 0;
const bundled = new Set<string>();
/** A fresh bundle file each time, so each import is a cold start (ESM caches modules by URL). */
async function bundle(handler: string) {
  bundled.add(handler);
  const outfile = join(outdir, `${handler}-${++builds}`, 'index.mjs');
  await build({
    entryPoints: [join(ROOT, 'functions', `${handler}.ts`)],
    absWorkingDir: ROOT,
    outfile,
    ...DEPLOYED_BUILD,
    logLevel: 'error',
  });
  return (await import(pathToFileURL(outfile).href)) as {
    handler: (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>;
  };
}

beforeAll(async () => {
  engines = await connectedEngines();
  stubFunctionEnv(engines, 'bundletest');
});

afterAll(async () => {
  vi.unstubAllEnvs();
  await engines.close();
  rmSync(outdir, { recursive: true, force: true });
});

async function event(routeKey: string, params: Record<string, string>, body?: unknown) {
  const token = await engines.issuer.sign({ account: 'bundled', user: 'alice', roles: ['admin'] });
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return apiGatewayEvent({
    method,
    path,
    params,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

describe('bundled functions', () => {
  it('every function of the route table runs as its deployable bundle and answers as the source does', async () => {
    const notify = await startNotifyStandIn({ outbox: join(outdir, 'outbox.jsonl') });
    vi.stubEnv('AWS_ENDPOINT_URL_SNS', notify.endpoint);
    vi.stubEnv('AWS_ENDPOINT_URL_EVENTBRIDGE', notify.endpoint);
    vi.stubEnv('TOPIC_ARN', 'arn:aws:sns:us-east-1:000000000000:bundles');
    vi.stubEnv('SECRET_SCANNING_KEYS_FILE', localScanningKeys(join(outdir, 'scanning')).file);
    const anchors = await startS3StandIn({ bucket: 'bundle-anchors' });
    vi.stubEnv('AWS_ENDPOINT_URL_S3', anchors.endpoint);
    vi.stubEnv('ANCHOR_BUCKET', anchors.bucket);
    try {
      const context = () => ({ awsRequestId: randomUUID(), functionName: 'bundle-test' });
      const create = await bundle('create-integration');
      const created = JSON.parse(
        (await create.handler(await event('POST /integrations', {}, { name: 'All bundled' }), context()))
          .body,
      ) as { integration: { id: string; apiKey: string }; key: { id: string } };
      const ids = { integrationId: created.integration.id, keyId: created.key.id };
      const bodies: Record<string, unknown> = {
        'create-integration': { name: 'x' },
        'update-integration': { name: 'renamed' },
        'create-key': { name: 'k' },
        'rotate-key': {},
        'update-rotation-settings': { rotationPeriodDays: 30 },
        'update-leak-settings': { policy: 'notify' },
        'identify-key': { secret: 'ssk_unknown' },
        'identify-account-key': { secret: 'ssk_unknown' },
      };
      const answers: Record<string, number> = {};
      for (const route of routes) {
        const fn = await bundle(route.handler);
        const params = Object.fromEntries(
          Object.entries(ids).filter(([name]) => route.path.includes(`{${name}}`)),
        );
        const response = await fn.handler(
          await event(`${route.method} ${route.path}`, params, bodies[route.handler]),
          context(),
        );
        answers[route.handler] = response.statusCode;
      }
      // Each answers what its own source would: no 5xx, and no 401 where a token is needed (the token
      // verified inside the bundle). The two signed public routes refuse this unsigned call with 401.
      for (const route of routes) {
        const status = answers[route.handler] ?? 0;
        expect(status, route.handler).toBeLessThan(500);
        expect(status === 401, route.handler).toBe(Boolean(route.signedBy));
      }
      expect(answers['reveal-key']).toBe(200);
      const sign = await bundle('sign-webhook');
      const signed = (await sign.handler(
        { accountId: 'bundled', integrationId: ids.integrationId, payload: '{}' },
        context(),
      )) as unknown as { headers?: Record<string, string> };
      expect(signed.headers?.['webhook-signature']).toMatch(/^v1,/);
      const verify = await bundle('verify-signature');
      const verified = (await verify.handler(
        {
          apiKey: created.integration.apiKey,
          signature: 'f'.repeat(64),
          body: '',
          method: 'POST',
          path: '/',
        },
        context(),
      )) as unknown as { valid: boolean };
      expect(verified.valid).toBe(false);
      const remind = await bundle('remind-rotation');
      expect(await remind.handler({}, context())).toMatchObject({ failed: 0 });
      const publish = await bundle('publish-lifecycle');
      expect(await publish.handler({ Records: [] }, context())).toEqual({ batchItemFailures: [] });
      const anchor = await bundle('anchor-audit');
      const anchored = (await anchor.handler({}, context())) as unknown as {
        anchored: number;
        broken: number;
      };
      expect(anchored.broken).toBe(0);
      expect(anchored.anchored).toBeGreaterThan(0);
      // Every function of the route table, internal ones and jobs included, was run as its bundle.
      const all = [...routes, ...internalFunctions, ...jobs].map((spec) => spec.handler);
      expect(all.filter((handler) => !bundled.has(handler))).toEqual([]);
    } finally {
      await notify.close();
      await anchors.close();
    }
  }, 240_000);

  it("maps a stack trace to the source through the deployed map, which carries no sources' text", async () => {
    const file = join(outdir, 'remind-rotation-maps', 'index.mjs');
    await build({
      entryPoints: [join(ROOT, 'functions', 'remind-rotation.ts')],
      absWorkingDir: ROOT,
      outfile: file,
      ...DEPLOYED_BUILD,
      logLevel: 'error',
    });
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
    };
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources.some((source) => source.endsWith('shared/config.ts'))).toBe(true);
    // Missing its TOPIC_ARN, the job fails at init: the trace names the source file and line.
    const { TOPIC_ARN: _, ...env } = process.env;
    const run = spawnSync(process.execPath, ['--enable-source-maps', file], {
      env: { ...env, TABLE_NAME: 't', AWS_REGION: 'us-east-1' },
      encoding: 'utf8',
    });
    expect(run.status).not.toBe(0);
    expect(run.stderr).toContain('Missing required environment variable TOPIC_ARN');
    expect(run.stderr).toMatch(/shared\/config\.ts:\d+:\d+/);
  });

  it('create an integration and list its keys through the deployable bundles', async () => {
    const create = await bundle('create-integration');
    const list = await bundle('list-keys');
    const context = { awsRequestId: randomUUID(), functionName: 'bundle-test' };
    const created = await create.handler(await event('POST /integrations', {}, { name: 'Bundled' }), context);
    expect(created.statusCode).toBe(201);
    const { integration } = JSON.parse(created.body) as { integration: { id: string } };
    const listed = await list.handler(
      await event('GET /integrations/{integrationId}/keys', { integrationId: integration.id }),
      context,
    );
    expect(listed.statusCode).toBe(200);
    expect(JSON.parse(listed.body).items).toEqual([
      expect.objectContaining({ origin: 'auto-generated', viewable: true }),
    ]);
  }, 60_000);

  it('without credentials in the environment, a bundle fails its call instead of looking elsewhere', async () => {
    // The failure is provoked on purpose, so its ERROR line is silenced — before the import, since the
    // bundled logger reads its level once, as at a cold start.
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'SILENT');
    const list = await bundle('get-integration');
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    try {
      const response = await list.handler(
        await event('GET /integrations/{integrationId}', { integrationId: 'int_01M8STXNSD0WK015E9HDB2KRD3' }),
        { awsRequestId: randomUUID(), functionName: 'bundle-test' },
      );
      expect(response.statusCode).toBe(500);
      expect(response.body).not.toContain('credential');
    } finally {
      vi.stubEnv('AWS_ACCESS_KEY_ID', 'functiontest');
      vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'functiontest');
      vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
    }
  }, 60_000);
});
