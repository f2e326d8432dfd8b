import { createHmac, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { apiGatewayEvent } from '../local/api-event.js';
import { localIssuer, newLocalKey } from '../local/dev-auth.js';
import { startEngines } from '../local/stack.js';
import { createDynamoClient, dynamoClient, kmsClient } from '../shared/adapters/clients.js';
import { internalFunctions, memoryOf, routes } from '../shared/routes.js';
import { type AwsCall, observeCalls } from '../test/support/aws-calls.js';
import { median } from './init.js';
import { PRICES } from './prices.js';

export interface OperationFigures {
  name: string;
  samples: number;
  readUnits: number;
  writeUnits: number;
  dynamoCalls: number;
  kmsCalls: number;
  lambdaRequests: number;
  apiRequests: number;
  medianMs: number;
  dollarsPerMillion: number;
}

interface Counter {
  /** Time the bench itself spent sizing transactions, taken out of the handler's duration. */
  overheadMs: number;
  readUnits: number;
  writeUnits: number;
  dynamoCalls: number;
  kmsCalls: number;
}

type Handler = (
  event: unknown,
  context: Context,
) => Promise<{ statusCode?: number; body?: string } | Record<string, unknown>>;

/** DynamoDB's item size rules, close enough for capacity units: names plus values, maps and lists +3. */
function sizeOf(value: unknown): number {
  if (value === null || value === undefined || typeof value === 'boolean') return 1;
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (typeof value === 'number') return Math.ceil(String(value).replace(/[-.]/g, '').length / 2) + 1;
  if (value instanceof Uint8Array) return value.length;
  if (Array.isArray(value)) return 3 + value.reduce((sum: number, v) => sum + sizeOf(v) + 1, 0);
  return (
    3 +
    Object.entries(value as Record<string, unknown>).reduce(
      (sum, [k, v]) => sum + Buffer.byteLength(k) + sizeOf(v) + 1,
      0,
    )
  );
}

type TransactItem = Record<
  string,
  { TableName: string; Item?: Record<string, unknown>; Key?: Record<string, unknown> }
>;

const READS = new Set(['GetItem', 'Query', 'BatchGetItem', 'TransactGetItems', 'Scan']);

function apiEvent(
  routeKey: string,
  params: Record<string, string>,
  body?: unknown,
  headers: Record<string, string> = {},
) {
  const [method = 'GET', path = '/'] = routeKey.split(' ');
  return apiGatewayEvent({
    method,
    path,
    params,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${benchToken}`, ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
}

/** The bench's own token issuer: every dashboard handler verifies the caller's JWT, as deployed. */
let benchToken = '';

const context = (name: string) => ({ awsRequestId: randomUUID(), functionName: name }) as Context;

/**
 * A scripted run of every operation against the local stack (DynamoDB Local and the KMS stand-in), with
 * the handlers' own clients intercepted: DynamoDB's consumed capacity (DynamoDB Local reports it,
 * transactions doubled and index writes included) and every KMS call.
 */
export async function measureOperations(): Promise<{
  operations: OperationFigures[];
  kmsPer1000Warm: number;
}> {
  const engines = await startEngines({ tableName: `bench-${Date.now()}` });
  try {
    // Credential reuse off: each verification below is priced with its own read (the scale model
    // prices what the credential cache saves).
    const issuer = await localIssuer(await newLocalKey());
    benchToken = await issuer.sign({ account: 'bench', user: 'bench-admin', roles: ['admin'] });
    // The self-test route's per-integration limit is lifted: the run prices the verification it does.
    Object.assign(process.env, engines.env, issuer.env, {
      POWERTOOLS_LOG_LEVEL: 'ERROR',
      CREDENTIAL_CACHE_MS: '0',
      SIGNATURE_CHECK_RATE_PER_SECOND: '10000',
      SIGNATURE_CHECK_BURST: '10000',
    });
    // The bench's own client (the SDK's, not intercepted) reads items around a transaction to size it:
    // DynamoDB Local under-reports transactions, which DynamoDB bills at 2 write units per KB of each item.
    const sizer = createDynamoClient({ endpoint: engines.dynamodb.endpoint });
    const itemSizes = (items: TransactItem[]) =>
      Promise.all(
        items.map(async (entry) => {
          const op = Object.values(entry)[0];
          if (!op) return { size: 0, indexed: false };
          const key = op.Key ?? { pk: op.Item?.pk, sk: op.Item?.sk };
          const { Item } = await sizer.send(
            new GetCommand({ TableName: op.TableName, Key: key, ConsistentRead: true }),
          );
          return { size: Item ? sizeOf(Item) : 0, indexed: Boolean(Item?.gsi1pk) };
        }),
      );
    let current: Counter | undefined;
    // The clients every handler in this process shares, observed through their middleware stacks.
    const count = async (call: AwsCall, next: () => Promise<Record<string, unknown>>) => {
      const input = call.input as { ReturnConsumedCapacity?: string; TransactItems?: TransactItem[] };
      const isKms = call.service === 'kms';
      if (!isKms) input.ReturnConsumedCapacity ??= 'TOTAL';
      const transaction =
        call.operation === 'TransactWriteItems' && current ? (input.TransactItems ?? []) : undefined;
      const sizingStarted = performance.now();
      const before = transaction ? await itemSizes(transaction) : [];
      const counter = current;
      if (counter) counter.overheadMs += performance.now() - sizingStarted;
      const output = await next();
      if (current && transaction) {
        const afterStarted = performance.now();
        const after = await itemSizes(transaction);
        current.overheadMs += performance.now() - afterStarted;
        current.dynamoCalls++;
        current.writeUnits += after.reduce((sum, item, i) => {
          const units = Math.max(1, Math.ceil(Math.max(item.size, before[i]?.size ?? 0) / 1024));
          return sum + 2 * units * (item.indexed ? 2 : 1);
        }, 0);
      } else if (current) {
        if (isKms) current.kmsCalls++;
        else {
          current.dynamoCalls++;
          const units = [output.ConsumedCapacity]
            .flat()
            .reduce(
              (sum: number, c) => sum + ((c as { CapacityUnits?: number } | undefined)?.CapacityUnits ?? 0),
              0,
            );
          if (READS.has(call.operation)) current.readUnits += units;
          else current.writeUnits += units;
        }
      }
      return output;
    };
    observeCalls(dynamoClient(), 'dynamodb', count);
    observeCalls(kmsClient(), 'kms', count);

    const load = async (name: string, query = '') =>
      ((await import(`../functions/${name}.ts${query}`)) as { handler: Handler }).handler;
    const operations: OperationFigures[] = [];

    async function measure<T>(
      name: string,
      calls: (() => Promise<T>)[],
      per: { lambda: number; api: number; handler: string },
    ): Promise<T[]> {
      const spec = [...routes, ...internalFunctions].find((r) => r.handler === per.handler);
      if (!spec) throw new Error(`unknown function ${per.handler}`);
      const memoryGb = memoryOf(spec) / 1024;
      const counter: Counter = { overheadMs: 0, readUnits: 0, writeUnits: 0, dynamoCalls: 0, kmsCalls: 0 };
      const durations: number[] = [];
      const results: T[] = [];
      for (const call of calls) {
        current = counter;
        const overheadBefore = counter.overheadMs;
        const started = performance.now();
        results.push(await call());
        durations.push(performance.now() - started - (counter.overheadMs - overheadBefore));
        current = undefined;
      }
      const n = calls.length;
      const ms = median(durations);
      const perOp = {
        readUnits: counter.readUnits / n,
        writeUnits: counter.writeUnits / n,
        dynamoCalls: counter.dynamoCalls / n,
        kmsCalls: counter.kmsCalls / n,
      };
      const dollars =
        1e6 *
        (per.lambda * PRICES.lambdaPerRequest +
          per.lambda * memoryGb * (Math.ceil(ms) / 1000) * PRICES.lambdaArmPerGbSecond +
          per.api * PRICES.httpApiPerRequest +
          perOp.readUnits * PRICES.dynamoDbPerReadUnit +
          perOp.writeUnits * PRICES.dynamoDbPerWriteUnit +
          perOp.kmsCalls * PRICES.kmsPerRequest);
      operations.push({
        name,
        samples: n,
        ...perOp,
        lambdaRequests: per.lambda,
        apiRequests: per.api,
        medianMs: ms,
        dollarsPerMillion: dollars,
      });
      return results;
    }

    const api = (handler: string) => ({ lambda: 1, api: 1, handler });
    const direct = (handler: string) => ({ lambda: 1, api: 0, handler });
    const json = (result: unknown) => JSON.parse((result as { body?: string }).body ?? '{}');
    const times = <T>(n: number, make: (i: number) => () => Promise<T>) =>
      Array.from({ length: n }, (_, i) => make(i));

    const [createIntegration, createKey, listKeys, reveal, revoke, rotate, listAudit, signatureCheck] =
      await Promise.all(
        [
          'create-integration',
          'create-key',
          'list-keys',
          'reveal-key',
          'revoke-key',
          'rotate-key',
          'list-audit',
          'signature-check',
        ].map((name) => load(name)),
      );
    const verify = await load('verify-signature');
    const sign = await load('sign-webhook');
    if (
      !createIntegration ||
      !createKey ||
      !listKeys ||
      !reveal ||
      !revoke ||
      !rotate ||
      !listAudit ||
      !signatureCheck
    ) {
      throw new Error('handler missing');
    }

    const N = 20;
    const created = (
      await measure(
        'create integration',
        times(
          N,
          (i) => () =>
            createIntegration(
              apiEvent('POST /integrations', {}, { name: `bench ${i}` }),
              context('create-integration'),
            ),
        ),
        api('create-integration'),
      )
    ).map(json) as { integration: { id: string; apiKey: string }; key: { id: string } }[];

    const keys = (
      await measure(
        'create key',
        created.map(
          (c) => () =>
            createKey(
              apiEvent(
                'POST /integrations/{integrationId}/keys',
                { integrationId: c.integration.id },
                { name: 'bench key' },
              ),
              context('create-key'),
            ),
        ),
        api('create-key'),
      )
    ).map(json) as { key: { id: string }; secret: string }[];

    await measure(
      'list keys',
      created.map(
        (c) => () =>
          listKeys(
            apiEvent('GET /integrations/{integrationId}/keys', { integrationId: c.integration.id }),
            context('list-keys'),
          ),
      ),
      api('list-keys'),
    );
    await measure(
      'reveal',
      created.map(
        (c) => () =>
          reveal(
            apiEvent('POST /integrations/{integrationId}/keys/{keyId}/reveal', {
              integrationId: c.integration.id,
              keyId: c.key.id,
            }),
            context('reveal-key'),
          ),
      ),
      api('reveal-key'),
    );
    await measure(
      'list audit',
      created.map(
        (c) => () =>
          listAudit(
            apiEvent('GET /integrations/{integrationId}/audit', { integrationId: c.integration.id }),
            context('list-audit'),
          ),
      ),
      api('list-audit'),
    );

    // Signature paths use the first integration's created key.
    const first = created[0];
    const firstKey = keys[0];
    if (!first || !firstKey) throw new Error('nothing created');
    const body = JSON.stringify({ type: 'bench', data: 'x'.repeat(900) });
    // The timestamped form every integration uses by default, for the call the platform received.
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signed = (path: string) =>
      createHmac('sha256', firstKey.secret).update(`${timestamp}\nPOST\n${path}\n${body}`).digest('hex');
    const verifyEvent = {
      apiKey: first.integration.apiKey,
      signature: signed('/webhooks/inbound'),
      timestamp,
      method: 'POST',
      path: '/webhooks/inbound',
      body: Buffer.from(body).toString('base64'),
    };
    await verify(verifyEvent, context('verify-signature')); // warm-up: the one decrypt per key per cache period
    engines.kms.resetStats();
    const warm = await measure(
      'verify (warm)',
      times(1000, () => () => verify(verifyEvent, context('verify-signature'))),
      direct('verify-signature'),
    );
    if (!warm.every((r) => (r as { valid?: boolean }).valid)) throw new Error('warm verification failed');
    const kmsPer1000Warm = engines.kms.stats().Decrypt ?? 0;

    await measure(
      'verify (cold)',
      times(
        N,
        (i) => async () =>
          (await load('verify-signature', `?cold=${i}`))(verifyEvent, context('verify-signature')),
      ),
      direct('verify-signature'),
    );
    const checkEvent = () =>
      apiEvent('POST /v1/signature-check', {}, body, {
        'x-auth-client': first.integration.apiKey,
        'x-hmac-signature': signed('/v1/signature-check'),
        'x-auth-timestamp': timestamp,
      });
    await signatureCheck(checkEvent(), context('signature-check'));
    await measure(
      'signature check (warm)',
      times(200, () => () => signatureCheck(checkEvent(), context('signature-check'))),
      api('signature-check'),
    );
    const signInput = { accountId: 'bench', integrationId: first.integration.id, payload: body };
    await sign(signInput, context('sign-webhook'));
    await measure(
      'sign webhook (warm)',
      times(200, () => () => sign(signInput, context('sign-webhook'))),
      direct('sign-webhook'),
    );

    await measure(
      'rotate',
      created
        .slice(0, 10)
        .map(
          (c, i) => () =>
            rotate(
              apiEvent(
                'POST /integrations/{integrationId}/keys/{keyId}/rotate',
                { integrationId: c.integration.id, keyId: keys[i]?.key.id ?? '' },
                { overlapSeconds: 3600 },
              ),
              context('rotate-key'),
            ),
        ),
      api('rotate-key'),
    );
    await measure(
      'revoke',
      created.map(
        (c) => () =>
          revoke(
            apiEvent('DELETE /integrations/{integrationId}/keys/{keyId}', {
              integrationId: c.integration.id,
              keyId: c.key.id,
            }),
            context('revoke-key'),
          ),
      ),
      api('revoke-key'),
    );
    return { operations, kmsPer1000Warm };
  } finally {
    await engines.stop();
  }
}
