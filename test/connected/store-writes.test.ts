import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDynamoClient } from '../../shared/adapters/clients.js';
import { createDynamoStore } from '../../shared/adapters/dynamodb/store.js';
import { TABLE, TableKeys } from '../../shared/adapters/dynamodb/table.js';
import { newEventId } from '../../shared/domain/ids.js';
import type { AuditEvent, KeyRecord } from '../../shared/domain/model.js';
import type { KeyStore } from '../../shared/domain/ports.js';
import * as service from '../../shared/domain/service.js';
import { actor, connectedEngines } from '../support/engines.js';

/**
 * What the DynamoDB store writes, read back from the table itself: the attributes each change sets and
 * drops (the due index, the status), what it answers, and the audit list's order and pages.
 */
let engines: Awaited<ReturnType<typeof connectedEngines>>;
beforeAll(async () => {
  engines = await connectedEngines();
});
afterAll(() => engines.close());

const alice = actor('acme', 'alice');

async function raw(sk: string, pk = TableKeys.account('acme')) {
  const { Item } = await engines.client.send(
    new GetCommand({ TableName: engines.tableName, Key: { pk, sk } }),
  );
  return Item;
}
const rawKey = (integrationId: string, keyId: string) => raw(TableKeys.key(integrationId, keyId));
const inDueIndex = (item: Record<string, unknown> | undefined) => ({
  dueAt: item?.[TABLE.gsi2.sortKey],
  dueDay: item?.[TABLE.gsi2.partitionKey],
});

function keyEvent(integrationId: string, keyId: string): AuditEvent {
  return {
    id: newEventId(new Date()),
    accountId: 'acme',
    integrationId,
    keyId,
    action: 'key.exposed',
    actor: 'system',
    at: new Date().toISOString(),
    requestId: 'r',
    sourceIp: 'ip',
  };
}

/** The store, with an event added to a key right after the service reads it: the write finds its head moved. */
function movingHeads(store: KeyStore): KeyStore {
  return {
    ...store,
    async getKey(accountId, integrationId, keyId) {
      const key = await store.getKey(accountId, integrationId, keyId);
      if (key) await store.recordKeyEvent({ key, audit: keyEvent(integrationId, keyId) });
      return key;
    },
  };
}

describe('the items a new integration writes', () => {
  it('each says what it is', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Types' });
    expect((await raw(TableKeys.integration(integration.id)))?.type).toBe('integration');
    expect((await rawKey(integration.id, key.id))?.type).toBe('key');
    const credential = await raw(TableKeys.credentialSort, TableKeys.credential(integration.apiKey));
    expect(credential?.type).toBe('credential');
  });
});

describe('revoke and rotate, as stored', () => {
  it('a revoked key leaves the due index (no reminder for it is ever looked at again)', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Due' });
    expect(inDueIndex(await rawKey(integration.id, key.id)).dueAt).toEqual(expect.any(String));
    await service.revokeKey(engines.deps, alice, integration.id, key.id);
    const stored = await rawKey(integration.id, key.id);
    expect(stored?.status).toBe('revoked');
    expect(inDueIndex(stored)).toEqual({ dueAt: undefined, dueDay: undefined });
    expect(stored?.displayCiphertext).toBeUndefined();
  });

  it('a rotated key is stored expiring, with its end, and is due for its expiry', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Rotate' });
    const { previous } = await service.rotateKey(engines.deps, alice, integration.id, key.id, {
      overlapSeconds: 3600,
    });
    const stored = await rawKey(integration.id, key.id);
    expect(stored).toMatchObject({ status: 'expiring', expiresAt: previous.expiresAt });
    expect(inDueIndex(stored).dueAt).toEqual(expect.any(String));
  });

  it('a rotation or revoke whose key gained an event since it was read goes on after that event', async () => {
    const deps = { ...engines.deps, store: movingHeads(engines.store) };
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Moved' });
    const rotated = await service.rotateKey(deps, alice, integration.id, key.id, {});
    expect((await rawKey(integration.id, key.id))?.status).toBe('expiring');
    await service.revokeKey(deps, alice, integration.id, rotated.key.id);
    expect((await rawKey(integration.id, rotated.key.id))?.status).toBe('revoked');
    const audit = await service.listAudit(engines.deps, alice, integration.id, { limit: 20 });
    expect(audit.items.map((event) => event.action)).toEqual([
      'key.revoked',
      'key.exposed',
      'key.rotated',
      'key.created',
      'key.exposed',
      'key.auto_generated',
      'integration.created',
    ]);
  });
});

describe('update integration, as stored and as answered', () => {
  it('changes only what was asked, in the integration, its answer and the credential', async () => {
    const { integration } = await service.createIntegration(engines.deps, alice, { name: 'Before' });
    const legacy = await service.updateIntegration(engines.deps, alice, integration.id, {
      legacySignatures: true,
    });
    expect(legacy).toMatchObject({ name: 'Before', legacySignatures: true });
    expect(await raw(TableKeys.integration(integration.id))).toMatchObject({
      name: 'Before',
      legacySignatures: true,
    });
    const credential = await engines.store.getCredential(integration.apiKey);
    expect(credential?.legacySignatures).toBe(true);

    const renamed = await service.updateIntegration(engines.deps, alice, integration.id, { name: 'After' });
    expect(renamed).toMatchObject({ name: 'After', legacySignatures: true });
    expect(await raw(TableKeys.integration(integration.id))).toMatchObject({
      name: 'After',
      legacySignatures: true,
    });
    expect((await engines.store.getCredential(integration.apiKey))?.legacySignatures).toBe(true);
  });
});

describe('the audit list', () => {
  it('pages newest first across the integration and key items; a last full page has no cursor', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Pages' });
    // Events on both items, interleaved in time: integration, key (its creation), integration, key, integration.
    await service.updateIntegration(engines.deps, alice, integration.id, { name: 'Pages 2' });
    await engines.store.recordKeyEvent({
      key: { accountId: 'acme', integrationId: integration.id, id: key.id },
      audit: keyEvent(integration.id, key.id),
    });
    await service.updateIntegration(engines.deps, alice, integration.id, { name: 'Pages 3' });
    const all = await service.listAudit(engines.deps, alice, integration.id, { limit: 100 });
    const ids = all.items.map((event) => event.id);
    expect(ids).toHaveLength(5);
    expect(ids).toEqual([...ids].sort().reverse());
    expect(all.nextCursor).toBeNull();

    const first = await service.listAudit(engines.deps, alice, integration.id, { limit: 3 });
    expect(first.items.map((event) => event.id)).toEqual(ids.slice(0, 3));
    const second = await service.listAudit(engines.deps, alice, integration.id, {
      limit: 3,
      cursor: first.nextCursor ?? undefined,
    });
    expect(second.items.map((event) => event.id)).toEqual(ids.slice(3));
    expect(second.nextCursor).toBeNull();
    const exact = await service.listAudit(engines.deps, alice, integration.id, { limit: 5 });
    expect(exact.nextCursor).toBeNull();
  });
});

describe('reindexing keys', () => {
  it('writes only the keys whose due dates change, counts them, and drops a rotation due date planned away', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Reindex' });
    const second = await service.createKey(engines.deps, alice, integration.id, { name: 'Second' });
    const before = await rawKey(integration.id, key.id);
    const unchanged = await engines.store.reindexKeys('acme', (stored) => ({
      rotationDueAt: stored.rotationDueAt,
      dueAt: stored.dueAt,
    }));
    expect(unchanged).toBe(0);

    const dueAt = '2027-06-01T00:00:00.000Z';
    const moved = await engines.store.reindexKeys('acme', (stored) =>
      stored.integrationId !== integration.id
        ? undefined
        : stored.id === key.id
          ? { rotationDueAt: undefined, dueAt }
          : { rotationDueAt: stored.rotationDueAt, dueAt },
    );
    expect(moved).toBe(2);
    const first = await rawKey(integration.id, key.id);
    expect(before?.rotationDueAt).toEqual(expect.any(String));
    expect(first?.rotationDueAt).toBeUndefined();
    expect(inDueIndex(first)).toEqual({ dueAt, dueDay: TableKeys.due('2027-06-01') });
    const other = await rawKey(integration.id, second.key.id);
    expect(other?.rotationDueAt).toEqual(expect.any(String));
    expect(inDueIndex(other).dueAt).toBe(dueAt);

    // Only the rotation due date changes (the first key's comes back): that key alone is written.
    const rotationDueAt = '2027-09-01T00:00:00.000Z';
    const rotationOnly = await engines.store.reindexKeys('acme', (stored) =>
      stored.integrationId === integration.id
        ? { rotationDueAt: stored.id === key.id ? rotationDueAt : stored.rotationDueAt, dueAt }
        : undefined,
    );
    expect(rotationOnly).toBe(1);
    expect((await rawKey(integration.id, key.id))?.rotationDueAt).toBe(rotationDueAt);

    // Out of the due index and back: a key read with no due date is written on condition it still has none.
    const ours = (plan: { dueAt?: string }) => (stored: KeyRecord) =>
      stored.integrationId === integration.id ? { rotationDueAt: stored.rotationDueAt, ...plan } : undefined;
    expect(await engines.store.reindexKeys('acme', ours({}))).toBe(2);
    expect(inDueIndex(await rawKey(integration.id, key.id))).toEqual({ dueAt: undefined, dueDay: undefined });
    expect(await engines.store.reindexKeys('acme', ours({ dueAt }))).toBe(2);
    expect(inDueIndex(await rawKey(integration.id, key.id)).dueAt).toBe(dueAt);
  });

  it('leaves a key another change moved since it was read, and does not count it', async () => {
    // A client of the store's own, which runs one write of the test's just before the store's next call.
    const client = createDynamoClient({
      region: 'us-east-1',
      endpoint: inject('dynamodbEndpoint'),
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    let beforeNextCall: (() => Promise<unknown>) | undefined;
    client.middlewareStack.add(
      (next) => async (args) => {
        const write = beforeNextCall;
        beforeNextCall = undefined;
        await write?.();
        return next(args);
      },
      { step: 'initialize', name: 'testInterleavedWrite' },
    );
    const store = createDynamoStore({ client, tableName: engines.tableName });
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Raced' });
    const at = (dueAt: string) => (stored: KeyRecord) =>
      stored.integrationId === integration.id ? { rotationDueAt: stored.rotationDueAt, dueAt } : undefined;
    expect(await store.reindexKeys('acme', at('2027-07-01T00:00:00.000Z'))).toBe(1);
    // A reminder lands between the read and the write of the next reindex.
    const count = await store.reindexKeys('acme', (stored) => {
      beforeNextCall = () =>
        engines.client.send(
          new UpdateCommand({
            TableName: engines.tableName,
            Key: { pk: TableKeys.account('acme'), sk: TableKeys.key(integration.id, key.id) },
            UpdateExpression: 'SET remindedAt = :at',
            ExpressionAttributeValues: { ':at': '2027-01-01T00:00:00.000Z' },
          }),
        );
      return at('2027-08-01T00:00:00.000Z')(stored);
    });
    expect(count).toBe(0);
    expect(inDueIndex(await rawKey(integration.id, key.id)).dueAt).toBe('2027-07-01T00:00:00.000Z');
    // Read again, with its reminder: now it is written, on condition the reminder is still the one read.
    expect(await store.reindexKeys('acme', at('2027-08-01T00:00:00.000Z'))).toBe(1);
    expect(inDueIndex(await rawKey(integration.id, key.id)).dueAt).toBe('2027-08-01T00:00:00.000Z');
    // The reminder job takes the key out of the index (its expiry reported) between the read and the
    // write: the key stays out, not put back by a plan made from the older read.
    const afterRemoval = await store.reindexKeys('acme', (stored) => {
      beforeNextCall = () =>
        engines.client.send(
          new UpdateCommand({
            TableName: engines.tableName,
            Key: { pk: TableKeys.account('acme'), sk: TableKeys.key(integration.id, key.id) },
            UpdateExpression: `REMOVE ${TABLE.gsi2.sortKey}, ${TABLE.gsi2.partitionKey}`,
          }),
        );
      return at('2027-09-01T00:00:00.000Z')(stored);
    });
    expect(afterRemoval).toBe(0);
    expect(inDueIndex(await rawKey(integration.id, key.id))).toEqual({ dueAt: undefined, dueDay: undefined });
    client.destroy();
  });
});
