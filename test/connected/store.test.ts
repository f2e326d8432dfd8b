import { GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableKeys } from '../../shared/adapters/dynamodb/table.js';
import { unpackSealed } from '../../shared/adapters/kms-envelope.js';
import {
  ConflictError,
  IntegrityError,
  KeyNoLongerViewableError,
  NotFoundError,
  RetryableError,
  ValidationError,
} from '../../shared/domain/errors.js';
import type { KeyRecord } from '../../shared/domain/model.js';
import * as service from '../../shared/domain/service.js';
import { type AwsCall, observeCalls, callsDuring as observed } from '../support/aws-calls.js';
import { actor, connectedEngines } from '../support/engines.js';

let engines: Awaited<ReturnType<typeof connectedEngines>>;
beforeAll(async () => {
  engines = await connectedEngines();
});
afterAll(() => engines.close());

const alice = actor('acme', 'alice');
const bob = actor('acme', 'bob');
const mallory = actor('evil', 'mallory');

async function rawKey(accountId: string, integrationId: string, keyId: string) {
  const { Item } = await engines.client.send(
    new GetCommand({
      TableName: engines.tableName,
      Key: { pk: TableKeys.account(accountId), sk: TableKeys.key(integrationId, keyId) },
    }),
  );
  return Item;
}

/** A reveal commit of `key` by `user`, with its audit event: what the service would pass the store. */
function revealCommit(key: KeyRecord, user: string, revealId: string, eventId: string) {
  const at = new Date().toISOString();
  return {
    key,
    revealId,
    viewedBy: user,
    viewedAt: at,
    audit: {
      id: eventId,
      accountId: key.accountId,
      integrationId: key.integrationId,
      keyId: key.id,
      action: 'key.revealed' as const,
      actor: user,
      at,
      requestId: 'r',
      sourceIp: 'ip',
    },
  };
}

describe('create integration (one transaction against DynamoDB Local)', () => {
  it('stores the integration, its auto-generated key with a display copy, its credential and two audit events', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Backend' });
    expect(key).toMatchObject({ origin: 'auto-generated', status: 'active', viewable: true });
    const stored = await rawKey('acme', integration.id, key.id);
    // Stored as bytes (a quarter smaller than the text form), and the same sealed value.
    const packed = stored?.displayCiphertext;
    if (!(packed instanceof Uint8Array)) throw new Error('display copy not stored as bytes');
    expect(unpackSealed(packed)).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(packed.length).toBeLessThan(unpackSealed(packed).length * 0.8);
    const credential = await engines.store.getCredential(integration.apiKey);
    expect(credential).toMatchObject({ accountId: 'acme', integrationId: integration.id });
    expect(Object.keys(credential?.keys ?? {})).toEqual([key.id]);
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 10 });
    expect(audit.items.map((event) => event.action).sort()).toEqual([
      'integration.created',
      'key.auto_generated',
    ]);
  });

  it('refuses to overwrite an existing integration (attribute_not_exists)', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Once' });
    const stored = await engines.store.getKey('acme', integration.id, key.id);
    const copy = { ...integration };
    await expect(
      engines.store.createIntegration({
        integration: copy,
        firstKey: {
          key: stored ?? (undefined as never),
          signing: { name: 'x', status: 'active', createdAt: copy.createdAt, signing: 'v1.a.b.c' },
          audit: {
            id: 'evt_dup',
            accountId: 'acme',
            integrationId: copy.id,
            action: 'key.created',
            actor: 'alice',
            at: copy.createdAt,
            requestId: 'r',
            sourceIp: 'ip',
          },
        },
        audit: {
          id: 'evt_dup2',
          accountId: 'acme',
          integrationId: copy.id,
          action: 'integration.created',
          actor: 'alice',
          at: copy.createdAt,
          requestId: 'r',
          sourceIp: 'ip',
        },
      }),
    ).rejects.toMatchObject({ name: 'TransactionCanceledException' });
  });
});

describe('create key', () => {
  it('returns the secret once and stores no display copy of it', async () => {
    const { integration } = await service.createIntegration(engines.deps, alice, { name: 'Keys' });
    const { key, secret } = await service.createKey(engines.deps, alice, integration.id, { name: 'Primary' });
    expect(secret).toMatch(/^ssk_/);
    expect(key).toMatchObject({ origin: 'created', viewable: false, hint: `ssk_…${secret.slice(-4)}` });
    const stored = await rawKey('acme', integration.id, key.id);
    expect(stored?.displayCiphertext).toBeUndefined();
    expect(JSON.stringify(stored)).not.toContain(secret);
    await expect(service.revealKey(engines.deps, alice, integration.id, key.id)).rejects.toMatchObject({
      statusCode: 410,
      details: { reason: 'created' },
    });
  });

  it('caps usable keys per integration with a conditional update on the credential', async () => {
    const deps = { ...engines.deps, maxUsableKeys: 3 };
    const { integration } = await service.createIntegration(deps, alice, { name: 'Cap' });
    await service.createKey(deps, alice, integration.id, { name: 'two' });
    const third = await service.createKey(deps, alice, integration.id, { name: 'three' });
    await expect(service.createKey(deps, alice, integration.id, { name: 'four' })).rejects.toBeInstanceOf(
      ConflictError,
    );
    // The failed transaction left nothing behind.
    expect(await service.listKeys(deps, alice, integration.id)).toHaveLength(3);
    await service.revokeKey(deps, alice, integration.id, third.key.id);
    await expect(service.createKey(deps, alice, integration.id, { name: 'four' })).resolves.toBeDefined();
  });
});

describe('reveal (conditional transaction against DynamoDB Local)', () => {
  it('returns the secret once; the second caller of the account gets 410 naming who revealed it', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Reveal' });
    const first = await service.revealKey(engines.deps, alice, integration.id, key.id);
    expect(first.secret).toMatch(/^ssk_/);
    expect(first.key).toMatchObject({ viewable: false, viewedBy: 'alice' });
    const second = service.revealKey(engines.deps, bob, integration.id, key.id);
    await expect(second).rejects.toBeInstanceOf(KeyNoLongerViewableError);
    await expect(second).rejects.toMatchObject({ details: { reason: 'viewed', viewedBy: 'alice' } });
    const stored = await rawKey('acme', integration.id, key.id);
    expect(stored?.displayCiphertext).toBeUndefined();
    expect(stored?.viewedBy).toBe('alice');
  });

  it('the revealed secret is the one the signing copy holds', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Same' });
    const { secret } = await service.revealKey(engines.deps, alice, integration.id, key.id);
    const credential = await engines.store.getCredential(integration.apiKey);
    const signing = await engines.envelope.open(credential?.keys[key.id]?.signing ?? '', {
      account: 'acme',
      integration: integration.id,
      key: key.id,
      purpose: 'signing',
    });
    expect(signing.toString()).toBe(secret);
  });

  it('the commit itself refuses a revoked key, even one whose display copy was left behind', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, {
      name: 'Revoked copy',
    });
    const stored = await engines.store.getKey('acme', integration.id, key.id);
    if (!stored) throw new Error('key missing');
    // Not a state the service writes (revoke drops the display copy in the same write): the condition
    // on the status is the second lock, proved here on its own.
    await engines.client.send(
      new UpdateCommand({
        TableName: engines.tableName,
        Key: { pk: TableKeys.account('acme'), sk: TableKeys.key(integration.id, key.id) },
        UpdateExpression: 'SET #status = :revoked',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':revoked': 'revoked' },
      }),
    );
    const outcome = await engines.store.commitReveal(
      revealCommit(stored, 'alice', '33333333-3333-4333-8333-333333333333', 'evt_revoked_copy'),
    );
    expect(outcome).toMatchObject({ status: 'not-viewable', key: { status: 'revoked' } });
    const after = await rawKey('acme', integration.id, key.id);
    expect(after?.displayCiphertext).toBeDefined();
    expect(after?.viewedBy).toBeUndefined();
  });

  it('exactly one of 50 concurrent reveals commits', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Race' });
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) =>
        service.revealKey(engines.deps, actor('acme', `user-${i % 5}`), integration.id, key.id),
      ),
    );
    const won = results.filter((r) => r.status === 'fulfilled');
    const lost = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
    expect(won).toHaveLength(1);
    // A loser hears 410, or — when the winner's transaction still held the key through its retries, as
    // on a loaded machine — 503 with nothing changed; retrying that then hears 410.
    for (const reason of lost) {
      if (reason instanceof RetryableError) {
        await expect(service.revealKey(engines.deps, alice, integration.id, key.id)).rejects.toBeInstanceOf(
          KeyNoLongerViewableError,
        );
      } else expect(reason).toBeInstanceOf(KeyNoLongerViewableError);
    }
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 100 });
    expect(audit.items.filter((e) => e.action === 'key.revealed')).toHaveLength(1);
  });

  it('a retried commit that in fact succeeded recognises its own reveal id instead of answering 410', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Retry' });
    const stored = await engines.store.getKey('acme', integration.id, key.id);
    if (!stored) throw new Error('key missing');
    const commit = (eventId: string) =>
      engines.store.commitReveal(
        revealCommit(stored, 'alice', '11111111-1111-4111-8111-111111111111', eventId),
      );
    await expect(commit('evt_first')).resolves.toEqual({ status: 'committed' });
    await expect(commit('evt_second')).resolves.toEqual({ status: 'committed' });
    const other = await engines.store.commitReveal(
      revealCommit(stored, 'bob', '22222222-2222-4222-8222-222222222222', 'evt_third'),
    );
    expect(other.status).toBe('not-viewable');
  });

  it('KMS down before the commit: 503-type error, key still viewable, and a later reveal succeeds', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'KMS down' });
    engines.kms.setFault('unavailable', ['Decrypt']);
    try {
      await expect(service.revealKey(engines.deps, alice, integration.id, key.id)).rejects.toBeInstanceOf(
        RetryableError,
      );
    } finally {
      engines.kms.setFault('none');
    }
    expect((await rawKey('acme', integration.id, key.id))?.displayCiphertext).toBeInstanceOf(Uint8Array);
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 10 });
    expect(audit.items.some((e) => e.action === 'key.revealed')).toBe(false);
    await expect(service.revealKey(engines.deps, alice, integration.id, key.id)).resolves.toMatchObject({
      secret: expect.stringMatching(/^ssk_/),
    });
  });

  it('a display ciphertext moved to another key does not decrypt there', async () => {
    const a = await service.createIntegration(engines.deps, alice, { name: 'A' });
    const b = await service.createIntegration(engines.deps, alice, { name: 'B' });
    const itemA = await rawKey('acme', a.integration.id, a.key.id);
    const itemB = await rawKey('acme', b.integration.id, b.key.id);
    await engines.client.send(
      new PutCommand({
        TableName: engines.tableName,
        Item: { ...itemB, displayCiphertext: itemA?.displayCiphertext },
      }),
    );
    await expect(service.revealKey(engines.deps, alice, b.integration.id, b.key.id)).rejects.toBeInstanceOf(
      IntegrityError,
    );
    expect((await rawKey('acme', b.integration.id, b.key.id))?.displayCiphertext).toEqual(
      itemA?.displayCiphertext,
    );
  });
});

describe('expired keys and the cap', () => {
  it('expired keys leave the usable-key cap: twelve rotations with no overlap all succeed', async () => {
    const { integration } = await service.createIntegration(engines.deps, alice, { name: 'Rotating' });
    let current = (await service.createKey(engines.deps, alice, integration.id, { name: 'k0' })).key.id;
    for (let i = 1; i <= 12; i++) {
      const rotated = await service.rotateKey(engines.deps, alice, integration.id, current, {
        overlapSeconds: 0,
      });
      current = rotated.key.id;
    }
    // Before this rule the tenth rotation answered too_many_keys with one usable key. Expired entries are
    // dropped when the cap is reached, so the record never holds more than the cap.
    const credential = await engines.store.getCredential(integration.apiKey);
    const entries = Object.entries(credential?.keys ?? {});
    expect(entries.length).toBeLessThanOrEqual(engines.deps.maxUsableKeys);
    // Usable: the current key and the integration's auto-generated one; everything else has expired.
    expect(entries.filter(([, e]) => e.status === 'active').map(([id]) => id)).toContain(current);
    expect(entries.filter(([, e]) => e.status === 'active')).toHaveLength(2);
    expect(credential?.keys[current]).toMatchObject({ status: 'active' });
  });
});

describe('revoke', () => {
  it('keeps nothing decryptable of a revoked key, only its fingerprint on the key item', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Forget' });
    await service.revokeKey(engines.deps, alice, integration.id, key.id);
    const { Items = [] } = await engines.client.send(
      new QueryCommand({
        TableName: engines.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': TableKeys.credential(integration.apiKey) },
      }),
    );
    expect(Items).toHaveLength(1);
    expect(JSON.stringify(Items)).not.toContain(key.id);
    const item = await rawKey('acme', integration.id, key.id);
    expect(item).not.toHaveProperty('displayCiphertext');
    expect(item).not.toHaveProperty('signing');
    expect(item?.fingerprint).toMatch(/^[0-9a-f]{64}$/);
  });

  it('marks the key revoked, drops its display copy and its signing entry, audits, and is idempotent', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Revoke' });
    const revoked = await service.revokeKey(engines.deps, alice, integration.id, key.id);
    expect(revoked).toMatchObject({ status: 'revoked', revokedBy: 'alice', viewable: false });
    expect((await engines.store.getCredential(integration.apiKey))?.keys[key.id]).toBeUndefined();
    await expect(service.revealKey(engines.deps, alice, integration.id, key.id)).rejects.toMatchObject({
      details: { reason: 'revoked' },
    });
    await expect(service.revokeKey(engines.deps, bob, integration.id, key.id)).resolves.toMatchObject({
      revokedBy: 'alice',
    });
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 10 });
    expect(audit.items.filter((e) => e.action === 'key.revoked')).toHaveLength(1);
  });

  it('a concurrent second revoke fails its condition and reports the first', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Twice' });
    const results = await Promise.all(
      Array.from({ length: 10 }, () =>
        service.revokeKey(engines.deps, alice, integration.id, key.id).catch((e) => e),
      ),
    );
    for (const result of results) expect(result).toMatchObject({ status: 'revoked' });
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 10 });
    expect(audit.items.filter((e) => e.action === 'key.revoked')).toHaveLength(1);
  });
});

describe('tenancy, roles and paging', () => {
  it("another account's ids are not found, for reads and writes alike", async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Mine' });
    await expect(service.getIntegration(engines.deps, mallory, integration.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(service.listKeys(engines.deps, mallory, integration.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(service.revealKey(engines.deps, mallory, integration.id, key.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(service.revokeKey(engines.deps, mallory, integration.id, key.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    await expect(
      service.createKey(engines.deps, mallory, integration.id, { name: 'x' }),
    ).rejects.toBeInstanceOf(NotFoundError);
    await expect(
      service.listAudit(engines.deps, mallory, integration.id, { limit: 5 }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect((await rawKey('acme', integration.id, key.id))?.displayCiphertext).toBeDefined();
  });

  it('a viewer may read but not write or reveal', async () => {
    const viewer = actor('acme', 'vic', 'viewer');
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Roles' });
    await expect(service.listKeys(engines.deps, viewer, integration.id)).resolves.toHaveLength(1);
    for (const attempt of [
      () => service.createIntegration(engines.deps, viewer, { name: 'x' }),
      () => service.createKey(engines.deps, viewer, integration.id, { name: 'x' }),
      () => service.revealKey(engines.deps, viewer, integration.id, key.id),
      () => service.revokeKey(engines.deps, viewer, integration.id, key.id),
    ]) {
      await expect(attempt()).rejects.toMatchObject({ statusCode: 403 });
    }
  });

  it('pages integrations with an opaque cursor that cannot be pointed elsewhere', async () => {
    const owner = actor('pager', 'p');
    for (let i = 0; i < 5; i++) await service.createIntegration(engines.deps, owner, { name: `n${i}` });
    const first = await service.listIntegrations(engines.deps, owner, { limit: 2 });
    expect(first.items).toHaveLength(2);
    const second = await service.listIntegrations(engines.deps, owner, {
      limit: 2,
      cursor: first.nextCursor ?? '',
    });
    const third = await service.listIntegrations(engines.deps, owner, {
      limit: 2,
      cursor: second.nextCursor ?? '',
    });
    const names = [...first.items, ...second.items, ...third.items].map((i) => i.name);
    expect(new Set(names).size).toBe(5);
    const forged = Buffer.from(JSON.stringify({ sk: 'KEY#x' })).toString('base64url');
    await expect(
      service.listIntegrations(engines.deps, owner, { limit: 2, cursor: forged }),
    ).rejects.toBeInstanceOf(ValidationError);
    await expect(
      service.listIntegrations(engines.deps, owner, { limit: 2, cursor: 'garbage' }),
    ).rejects.toBeInstanceOf(ValidationError);
    // The same cursor used by another account only ever reads that account's partition.
    const foreign = await service.listIntegrations(engines.deps, mallory, {
      limit: 10,
      cursor: first.nextCursor ?? '',
    });
    expect(foreign.items.every((i) => i.accountId === 'evil')).toBe(true);
  });
});

describe('audit trail (events written by the change itself, into the item it concerns)', () => {
  it('lists every event of an integration newest first, across pages, with no gap or repeat', async () => {
    const owner = actor('auditor', 'ann');
    const { integration, key: first } = await service.createIntegration(engines.deps, owner, { name: 'A' });
    await service.revealKey(engines.deps, owner, integration.id, first.id);
    const created = await service.createKey(engines.deps, owner, integration.id, { name: 'second' });
    const rotated = await service.rotateKey(engines.deps, owner, integration.id, created.key.id, {});
    await service.revokeKey(engines.deps, owner, integration.id, first.id);

    const all = await service.listAudit(engines.deps, owner, integration.id, { limit: 100 });
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((e) => [e.action, e.keyId ?? null])).toEqual([
      ['key.revoked', first.id],
      // One transaction: the successor is minted (and its event ided) before the rotation is recorded.
      ['key.rotated', created.key.id],
      ['key.created', rotated.key.id],
      ['key.created', created.key.id],
      ['key.revealed', first.id],
      ['key.auto_generated', first.id],
      ['integration.created', null],
    ]);
    for (const event of all.items) {
      expect(event).toMatchObject({ accountId: 'auditor', integrationId: integration.id, actor: 'ann' });
    }

    const paged: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await service.listAudit(engines.deps, owner, integration.id, { limit: 2, cursor });
      expect(page.items.length).toBeLessThanOrEqual(2);
      paged.push(...page.items.map((e) => e.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
    expect(paged).toEqual(all.items.map((e) => e.id));

    await expect(
      service.listAudit(engines.deps, owner, integration.id, { limit: 2, cursor: 'garbage' }),
    ).rejects.toBeInstanceOf(ValidationError);
  });

  it('a change that does not commit leaves no event, and events never show in key views', async () => {
    const owner = actor('auditor2', 'ann');
    const { integration, key } = await service.createIntegration(engines.deps, owner, { name: 'B' });
    await service.revealKey(engines.deps, owner, integration.id, key.id);
    // A second reveal fails its condition: no second key.revealed event.
    await expect(service.revealKey(engines.deps, owner, integration.id, key.id)).rejects.toBeInstanceOf(
      KeyNoLongerViewableError,
    );
    await service.rotateKey(engines.deps, owner, integration.id, key.id, {});
    // Rotating the now expiring key fails its condition: no second key.rotated event, no new key.
    await expect(service.rotateKey(engines.deps, owner, integration.id, key.id, {})).rejects.toBeInstanceOf(
      ConflictError,
    );
    const audit = await service.listAudit(engines.deps, owner, integration.id, { limit: 100 });
    const count = (action: string) => audit.items.filter((e) => e.action === action).length;
    expect([count('key.revealed'), count('key.rotated'), count('key.created')]).toEqual([1, 1, 1]);

    const keys = await service.listKeys(engines.deps, owner, integration.id);
    for (const view of keys) expect(view).not.toHaveProperty('audit');
    const stored = await engines.store.getKey('auditor2', integration.id, key.id);
    expect(stored).not.toHaveProperty('audit');
    // The raw item carries them, each under its own id.
    const raw = await rawKey('auditor2', integration.id, key.id);
    expect(Object.keys((raw?.audit as object) ?? {})).toHaveLength(3);
  });
});

describe('write shapes the cost budgets rest on (issue #5)', () => {
  async function callsDuring<T>(work: () => Promise<T>) {
    const { calls } = await observed({ dynamodb: engines.client, kms: engines.kmsClient }, work);
    return calls.map(({ service, operation, input }) => {
      const items = (input as { TransactItems?: unknown[] }).TransactItems?.length;
      return { service, operation, ...(items ? { items } : {}) };
    });
  }

  it('a reveal is one read, one decrypt and one single-item write; a created key one two-item transaction', async () => {
    const owner = actor('shapes', 'sam');
    const { integration, key } = await service.createIntegration(engines.deps, owner, { name: 'S' });
    expect(await callsDuring(() => service.revealKey(engines.deps, owner, integration.id, key.id))).toEqual([
      { service: 'dynamodb', operation: 'GetItem' },
      { service: 'kms', operation: 'Decrypt' },
      { service: 'dynamodb', operation: 'UpdateItem' },
    ]);
    const created = await callsDuring(() =>
      service.createKey(engines.deps, owner, integration.id, { name: 'k' }),
    );
    expect(created.filter((call) => call.operation === 'TransactWriteItems')).toEqual([
      { service: 'dynamodb', operation: 'TransactWriteItems', items: 2 },
    ]);
    expect(created.filter((call) => call.service === 'kms')).toHaveLength(1);
  });

  it('every audited change is one atomic write with its audit events inside it, and no write carries them apart', async () => {
    const owner = actor('shapes-all', 'sam');
    /** The writes that applied (a conditional attempt that failed wrote nothing). */
    const writesOf = async (work: () => Promise<unknown>) => {
      const applied: AwsCall[] = [];
      const stop = observeCalls(engines.client, 'dynamodb', async (call, next) => {
        const output = await next();
        if (['PutItem', 'UpdateItem', 'TransactWriteItems'].includes(call.operation)) applied.push(call);
        return output;
      });
      try {
        await work();
      } finally {
        stop();
      }
      return applied;
    };
    const actionsIn = (call: { input: unknown }) =>
      [...JSON.stringify(call.input).matchAll(/"action":"([a-z_.]+)"/g)].map((m) => m[1]).sort();
    let integrationId = '';
    let keyId = '';
    let createdKeyId = '';
    const changes: [string, () => Promise<unknown>, string[]][] = [
      [
        'create integration',
        async () => {
          const created = await service.createIntegration(engines.deps, owner, { name: 'All' });
          integrationId = created.integration.id;
          keyId = created.key.id;
        },
        ['integration.created', 'key.auto_generated'],
      ],
      [
        'create key',
        async () => {
          createdKeyId = (await service.createKey(engines.deps, owner, integrationId, { name: 'k' })).key.id;
        },
        ['key.created'],
      ],
      ['reveal', () => service.revealKey(engines.deps, owner, integrationId, keyId), ['key.revealed']],
      [
        'rotate',
        () => service.rotateKey(engines.deps, owner, integrationId, createdKeyId, {}),
        ['key.created', 'key.rotated'],
      ],
      ['revoke', () => service.revokeKey(engines.deps, owner, integrationId, keyId), ['key.revoked']],
      [
        'rename',
        () => service.updateIntegration(engines.deps, owner, integrationId, { name: 'All 2' }),
        ['integration.updated'],
      ],
      [
        'rotation settings',
        () => service.updateRotationSettings(engines.deps, owner, { rotationPeriodDays: 30 }),
        ['settings.rotation_updated'],
      ],
    ];
    for (const [what, work, expected] of changes) {
      const writes = await writesOf(work);
      const carrying = writes.filter((call) => actionsIn(call).length > 0);
      expect(carrying, what).toHaveLength(1);
      expect(actionsIn(carrying[0] as { input: unknown }), what).toEqual([...expected].sort());
    }
  });
});
