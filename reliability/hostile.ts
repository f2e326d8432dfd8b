import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { ROOT } from '../infra/paths.js';

/**
 * Hostile input, generated with fast-check from the OpenAPI document: every route's path, query,
 * headers and body, wrong and strange — types, huge, invisible and unicode strings, deep JSON,
 * duplicate keys, wrong content types, broken escapes, forged, expired and `alg: none` tokens, another
 * account's ids and cursors. What must hold: no 5xx, every 4xx in the error shape (or API Gateway's own
 * `{ message }`), no secret in any response but the one route answer that carries it, the server up.
 */
export interface HostileFigures {
  requests: number;
  byStatus: Record<string, number>;
  serverErrors: number;
  badShapes: number;
  leakedSecrets: number;
  examples: string[];
}

export interface HostileTarget {
  url: string;
  /** Tokens of several kinds, all for the account the ids belong to unless named otherwise. */
  tokens: Record<'admin' | 'viewer' | 'outsider' | 'expired' | 'forged' | 'none' | 'garbage', string>;
  ids: {
    integrationId: string;
    keyId: string;
    foreignIntegrationId: string;
    foreignKeyId: string;
    foreignCursor: string;
  };
}

type Operation = { method: string; path: string };

function operations(): Operation[] {
  const document = JSON.parse(readFileSync(join(ROOT, 'openapi.json'), 'utf8')) as {
    paths: Record<string, Record<string, unknown>>;
  };
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.keys(methods).map((method) => ({ method: method.toUpperCase(), path })),
  );
}

const SECRET = /ssk_[0-9A-Za-z]{49}/g;
/** The answers that may carry a secret: created, revealed, rotated. */
const CARRIES_SECRET = [/\/keys$/, /\/reveal$/, /\/rotate$/];

const strange = fc.oneof(
  fc.string(),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.string({
    unit: fc.constantFrom('\u200b', '\u202e', '\u0000', '\ufeff', 'é', '𝕏', ' ', '%', '/', '..'),
    maxLength: 30,
  }),
  fc.constantFrom(
    '%ff',
    '%',
    '%C0%AF',
    '%E0%A4%A',
    '%2e%2e',
    '..',
    '.',
    '%00',
    'int_01M8STXNSD0WK015E9HDB2KRD3',
  ),
  fc.string({ minLength: 2000, maxLength: 5000 }),
);

function deep(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

const bodies = fc.oneof(
  fc.constant(undefined),
  fc.json(),
  fc.jsonValue().map((value) => JSON.stringify(value)),
  fc.record({ name: strange }).map((value) => JSON.stringify(value)),
  fc.record({ name: fc.anything() }).map((value) => JSON.stringify(value) ?? '{}'),
  fc
    .record({
      rotationPeriodDays: fc.oneof(fc.integer(), fc.double(), fc.string()),
      reminderIntervalDays: fc.anything(),
    })
    .map((value) => JSON.stringify(value) ?? '{}'),
  fc
    .record({
      overlapSeconds: fc.oneof(fc.integer(), fc.double(), fc.string()),
      expiresInDays: fc.anything(),
    })
    .map((value) => JSON.stringify(value) ?? '{}'),
  fc.constantFrom(
    '{"name":"a","name":"b"}',
    '{"name":',
    'not json',
    '\u0000\u0001',
    deep(5000),
    `{"name":"${'x'.repeat(200_000)}"}`,
  ),
);

export async function hostileRequests(target: HostileTarget, count: number, seed = 42, concurrency = 16) {
  const ops = operations();
  const figures: HostileFigures = {
    requests: 0,
    byStatus: {},
    serverErrors: 0,
    badShapes: 0,
    leakedSecrets: 0,
    examples: [],
  };
  const id = fc.oneof(
    fc.constantFrom(
      target.ids.integrationId,
      target.ids.keyId,
      target.ids.foreignIntegrationId,
      target.ids.foreignKeyId,
    ),
    strange,
  );
  const request = fc.record({
    op: fc.constantFrom(...ops),
    method: fc.oneof(
      { weight: 8, arbitrary: fc.constant(undefined) },
      {
        weight: 1,
        arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'),
      },
    ),
    integrationId: id,
    keyId: id,
    query: fc.oneof(
      fc.constant(''),
      fc
        .record({
          limit: fc.oneof(fc.integer().map(String), strange),
          cursor: fc.oneof(strange, fc.constant(target.ids.foreignCursor)),
        })
        .map(
          ({ limit, cursor }) => `?limit=${encodeURIComponent(limit)}&cursor=${encodeURIComponent(cursor)}`,
        ),
      strange.map((value) => `?${value}`),
    ),
    token: fc.constantFrom(...(Object.keys(target.tokens) as (keyof HostileTarget['tokens'])[])),
    contentType: fc.constantFrom(
      'application/json',
      'text/plain',
      'application/x-www-form-urlencoded',
      'application/json; charset=latin1',
      '',
      'multipart/form-data; boundary=x',
    ),
    body: bodies,
    signed: fc.record({
      client: strange,
      signature: strange,
      timestamp: fc.oneof(fc.integer().map(String), strange),
    }),
  });
  const samples = fc.sample(request, { numRuns: count, seed });

  async function send(sample: (typeof samples)[number]) {
    const path = sample.op.path
      .replace('{integrationId}', encodeIfClean(sample.integrationId))
      .replace('{keyId}', encodeIfClean(sample.keyId));
    const method = sample.method ?? sample.op.method;
    const headers: Record<string, string> = {};
    const token = target.tokens[sample.token];
    if (token) headers.authorization = `Bearer ${token}`;
    if (sample.contentType) headers['content-type'] = sample.contentType;
    if (sample.op.path.includes('signature-check')) {
      headers['x-auth-client'] = sample.signed.client.slice(0, 300);
      headers['x-hmac-signature'] = sample.signed.signature.slice(0, 300);
      headers['x-auth-timestamp'] = sample.signed.timestamp.slice(0, 300);
    }
    let status = 0;
    let text = '';
    try {
      const response = await fetch(target.url + path + sample.query, {
        method,
        headers: Object.fromEntries(
          Object.entries(headers).filter(([, value]) => /^[\x20-\x7e]*$/.test(value)),
        ),
        body: method === 'GET' || method === 'HEAD' ? undefined : sample.body,
      });
      status = response.status;
      text = await response.text();
    } catch (error) {
      text = String(error);
    }
    figures.requests++;
    figures.byStatus[String(status)] = (figures.byStatus[String(status)] ?? 0) + 1;
    const example = `${method} ${path.slice(0, 80)}${sample.query.slice(0, 40)} → ${status} ${text.slice(0, 160)}`;
    if (status >= 500 || status === 0) {
      figures.serverErrors++;
      if (figures.examples.length < 10) figures.examples.push(example);
    }
    if (status >= 400 && status < 500 && method !== 'HEAD' && !wellShaped(text)) {
      figures.badShapes++;
      if (figures.examples.length < 10) figures.examples.push(example);
    }
    const secrets = text.match(SECRET) ?? [];
    const mayCarry =
      status >= 200 && status < 300 && method === 'POST' && CARRIES_SECRET.some((re) => re.test(path));
    if (secrets.length > 0 && !mayCarry) figures.leakedSecrets += secrets.length;
  }

  for (let i = 0; i < samples.length; i += concurrency) {
    await Promise.all(samples.slice(i, i + concurrency).map(send));
  }
  return figures;
}

/** Generated ids go into the path as given when they are plain, percent-encoded otherwise (or raw escapes). */
function encodeIfClean(value: string): string {
  if (/^%|%[0-9A-Fa-f]?$/.test(value) || /^[\w.%-]*$/.test(value)) return value;
  return encodeURIComponent(value);
}

function wellShaped(text: string): boolean {
  try {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown }; message?: unknown };
    if (body.error) return typeof body.error.code === 'string' && typeof body.error.message === 'string';
    return typeof body.message === 'string';
  } catch {
    return false;
  }
}
