import autocannon from 'autocannon';
import { signedHeaders } from '../test/support/integration-client.js';
import type { RunningServer } from '../test/support/local-server.js';

/**
 * Load: a mixed workload against `npm start` with autocannon — list keys, create integrations, reveal,
 * rotate, verify through the public route, sign — all at once for `seconds`. Per route: requests/s,
 * p50/p99 latency, error rate. Afterwards: every key revealed at most once, and the audit events equal
 * the actions that succeeded.
 */
export interface LoadRow {
  route: string;
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errorRate: number;
}

type Pool = { integrationId: string; apiKey: string; keyId: string; secret: string }[];

export async function runLoad(server: RunningServer, seconds: number) {
  const account = `load-${Date.now()}`;
  const token = await server.token(account, 'alice');
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const post = async (path: string, json: unknown) =>
    (await (await server.request(path, { method: 'POST', token, json })).json()) as Record<string, unknown>;

  // Integrations to read, verify and sign against; auto-generated keys to reveal; keys to rotate.
  const pool: Pool = [];
  const revealable: { integrationId: string; keyId: string }[] = [];
  const rotating: { integrationId: string; keyId: string }[] = [];
  const rotateConflicts = { count: 0 };
  const connectionErrors = new Map<string, Map<string, number>>();
  for (let i = 0; i < 40; i++) {
    const created = (await post('/integrations', { name: `load ${i}` })) as {
      integration: { id: string; apiKey: string };
      key: { id: string };
    };
    const key = (await post(`/integrations/${created.integration.id}/keys`, { name: 'signer' })) as {
      key: { id: string };
      secret: string;
    };
    pool.push({
      integrationId: created.integration.id,
      apiKey: created.integration.apiKey,
      keyId: key.key.id,
      secret: key.secret,
    });
    revealable.push({ integrationId: created.integration.id, keyId: created.key.id });
    // A key of its own to rotate, so the signer's key keeps verifying.
    const rotated = (await post(`/integrations/${created.integration.id}/keys`, { name: 'rotated' })) as {
      key: { id: string };
    };
    rotating.push({ integrationId: created.integration.id, keyId: rotated.key.id });
  }
  let next = 0;
  const pick = <T>(items: T[]) => items[next++ % items.length] as T;
  const revealStatus = new Map<string, number[]>();
  let revealCursor = 0;
  let integrationsCreated = 0;
  let rotations = 0;

  const body = '{"event":"load"}';
  const workloads: { route: string; options: autocannon.Options }[] = [
    {
      route: 'GET …/keys',
      options: {
        url: server.url,
        requests: [
          {
            method: 'GET',
            setupRequest: (r) => ({
              ...r,
              path: `/integrations/${pick(pool).integrationId}/keys`,
              headers: { ...auth },
            }),
          },
        ],
      },
    },
    {
      route: 'POST /integrations',
      options: {
        url: server.url,
        requests: [
          {
            method: 'POST',
            setupRequest: (r) => ({
              ...r,
              path: '/integrations',
              headers: { ...auth },
              body: JSON.stringify({ name: 'loaded' }),
            }),
            onResponse: (status) => {
              if (status === 201) integrationsCreated++;
            },
          },
        ],
      },
    },
    {
      route: 'POST …/reveal',
      options: {
        url: server.url,
        requests: [
          {
            method: 'POST',
            setupRequest: (r, ctx: object) => {
              const context = ctx as Record<string, unknown>;
              const target = revealable[revealCursor++ % revealable.length] as (typeof revealable)[number];
              context.keyId = target.keyId;
              return {
                ...r,
                path: `/integrations/${target.integrationId}/keys/${target.keyId}/reveal`,
                headers: { ...auth },
              };
            },
            onResponse: (status, _body, ctx: object) => {
              const context = ctx as Record<string, unknown>;
              const keyId = String(context.keyId);
              revealStatus.set(keyId, [...(revealStatus.get(keyId) ?? []), status]);
            },
          },
        ],
      },
    },
    {
      route: 'POST …/rotate',
      options: {
        url: server.url,
        connections: 4,
        requests: [
          {
            method: 'POST',
            setupRequest: (r, ctx: object) => {
              const context = ctx as Record<string, unknown>;
              const index = next++ % rotating.length;
              const target = rotating[index] as (typeof rotating)[number];
              context.index = index;
              return {
                ...r,
                path: `/integrations/${target.integrationId}/keys/${target.keyId}/rotate`,
                headers: { ...auth },
                body: JSON.stringify({ overlapSeconds: 0 }),
              };
            },
            onResponse: (status, responseBody, ctx: object) => {
              const context = ctx as Record<string, unknown>;
              // Two connections rotating the same key at once: one wins, the other is told 409.
              if (status === 409) rotateConflicts.count++;
              if (status !== 201) return;
              rotations++;
              const successor = (JSON.parse(responseBody) as { key: { id: string } }).key.id;
              const slot = rotating[Number(context.index)];
              if (slot) slot.keyId = successor;
            },
          },
        ],
      },
    },
    {
      route: 'POST /v1/signature-check',
      options: {
        url: server.url,
        requests: [
          {
            method: 'POST',
            setupRequest: (r) => {
              const { apiKey, secret } = pick(pool);
              return {
                ...r,
                path: '/v1/signature-check',
                headers: signedHeaders({ secret, apiKey, body }),
                body,
              };
            },
          },
        ],
      },
    },
    {
      route: 'POST /internal/sign-webhook',
      options: {
        url: server.url,
        requests: [
          {
            method: 'POST',
            setupRequest: (r) => ({
              ...r,
              path: '/internal/sign-webhook',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({
                accountId: account,
                integrationId: pick(pool).integrationId,
                payload: body,
              }),
            }),
          },
        ],
      },
    },
  ];

  const results = await Promise.all(
    workloads.map(({ route, options }) => {
      const instance = autocannon({
        connections: 8,
        duration: seconds,
        ...options,
      }) as unknown as Promise<autocannon.Result> & {
        on(event: 'reqError', listener: (error: NodeJS.ErrnoException) => void): void;
      };
      const errors = new Map<string, number>();
      connectionErrors.set(route, errors);
      instance.on('reqError', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? error.message;
        errors.set(code, (errors.get(code) ?? 0) + 1);
      });
      return instance;
    }),
  );
  const rows: LoadRow[] = workloads.map(({ route }, i) => {
    const result = results[i] as autocannon.Result;
    // Reveals past a key's first answer 410 by design: only other answers count as errors there.
    const revealErrors = [...revealStatus.values()]
      .flat()
      .filter((status) => status !== 200 && status !== 410).length;
    const conflicts = route.includes('rotate') ? rotateConflicts.count : 0;
    const errors =
      (route.includes('reveal') ? revealErrors : result.non2xx - conflicts) + result.errors + result.timeouts;
    return {
      route,
      requests: result.requests.total,
      perSecond: result.requests.average,
      p50: result.latency.p50,
      p99: result.latency.p99,
      errorRate: result.requests.total ? errors / result.requests.total : 0,
    };
  });

  // Afterwards: each key revealed at most once, and the audit trail equal to what succeeded.
  let doubleReveals = 0;
  let auditMismatches = 0;
  for (const { integrationId, keyId } of revealable) {
    const successes = (revealStatus.get(keyId) ?? []).filter((s) => s === 200).length;
    if (successes > 1) doubleReveals++;
    const audit = (await (
      await server.request(`/integrations/${integrationId}/audit?limit=100`, { token })
    ).json()) as {
      items: { action: string; keyId?: string }[];
    };
    const revealed = audit.items.filter((e) => e.action === 'key.revealed' && e.keyId === keyId).length;
    if (revealed !== successes) auditMismatches++;
  }
  let listed = 0;
  let cursor: string | null = null;
  do {
    const page = (await (
      await server.request(
        `/integrations?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        { token },
      )
    ).json()) as { items: unknown[]; nextCursor: string | null };
    listed += page.items.length;
    cursor = page.nextCursor;
  } while (cursor);
  // A create still in flight when the clock ran out may have committed without its answer being counted:
  // at most one per connection.
  const extra = listed - (integrationsCreated + pool.length);
  if (extra < 0 || extra > 8) auditMismatches++;
  const errorsSeen = Object.fromEntries(
    [...connectionErrors].map(([route, map]) => [route, Object.fromEntries(map)]),
  );
  return {
    rows,
    doubleReveals,
    auditMismatches,
    rotations,
    integrationsCreated,
    rotateConflicts: rotateConflicts.count,
    errorsSeen,
  };
}
