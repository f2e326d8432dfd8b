import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { BUNDLE } from '../../infra/bundling.js';
import { ROOT } from '../../infra/paths.js';
import { apiGatewayEvent } from '../../local/api-event.js';
import { startNotifyStandIn } from '../../local/notify-standin.js';
import { localScanningKeys } from '../../local/scanning-keys.js';
import { routes } from '../../shared/routes.js';
import { connectedEngines, stubFunctionEnv } from '../support/engines.js';

/**
 * The deployable artifact, not the source: functions bundled exactly as the CDK app bundles them (ESM,
 * minified) still run, taking their credentials from the environment as Lambda hands them over.
 */
let engines: Awaited<ReturnType<typeof connectedEngines>>;
const outdir = mkdtempSync(join(tmpdir(), 'ssk-bundle-'));

let builds = 0;
/** A fresh bundle file each time, so each import is a cold start (ESM caches modules by URL). */
async function bundle(handler: string) {
  const outfile = join(outdir, `${handler}-${++builds}`, 'index.mjs');
  await build({
    entryPoints: [join(ROOT, 'functions', `${handler}.ts`)],
    absWorkingDir: ROOT,
    bundle: true,
    outfile,
    format: BUNDLE.format,
    platform: BUNDLE.platform,
    target: BUNDLE.target,
    mainFields: [...BUNDLE.mainFields],
    minify: BUNDLE.minify,
    banner: { js: BUNDLE.banner },
    alias: { ...BUNDLE.alias },
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
    } finally {
      await notify.close();
    }
  }, 240_000);

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
