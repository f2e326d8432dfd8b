import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChainStore } from '../../shared/adapters/dynamodb/audit.js';
import { appendEvent, chainOf } from '../../shared/adapters/dynamodb/codec.js';
import { AUDIT_ATTRIBUTE, HEAD_ATTRIBUTE, TableKeys } from '../../shared/adapters/dynamodb/table.js';
import { auditEvent } from '../../shared/domain/audit.js';
import {
  anchorOf,
  eventHash,
  GENESIS,
  type StoredChain,
  verifyTrail,
} from '../../shared/domain/audit-chain.js';
import { updateLeakSettings } from '../../shared/domain/leaks.js';
import * as service from '../../shared/domain/service.js';
import { actor, connectedEngines } from '../support/engines.js';

/**
 * The tamper-evident audit trail against DynamoDB Local: every audited change extends its item's hash
 * chain in its own write, concurrent writers cannot extend the same head, and verification points at an
 * event edited or deleted directly in the table.
 */
let engines: Awaited<ReturnType<typeof connectedEngines>>;
beforeAll(async () => {
  engines = await connectedEngines();
});
afterAll(() => engines.close());

const alice = actor('chain', 'alice');
const HEX = /^[0-9a-f]{64}$/;

const keyAddress = (integrationId: string, keyId: string) => ({
  pk: TableKeys.account('chain'),
  sk: TableKeys.key(integrationId, keyId),
});
async function raw(key: Record<string, string>) {
  const { Item } = await engines.client.send(
    new GetCommand({ TableName: engines.tableName, Key: key, ConsistentRead: true }),
  );
  return Item;
}
const chainStore = () => createChainStore({ client: engines.client, tableName: engines.tableName });
const chains = (integrationId: string) => chainStore().auditChains('chain', integrationId);

/** An integration whose key has been created, revealed, rotated and revoked, and the integration renamed. */
async function busyIntegration(name: string) {
  const { integration, key: first } = await service.createIntegration(engines.deps, alice, { name });
  await service.revealKey(engines.deps, alice, integration.id, first.id);
  const created = await service.createKey(engines.deps, alice, integration.id, { name: 'Second' });
  const rotated = await service.rotateKey(engines.deps, alice, integration.id, created.key.id, {});
  await service.revokeKey(engines.deps, alice, integration.id, first.id);
  await service.updateIntegration(engines.deps, alice, integration.id, { name: `${name} renamed` });
  return { integration, first: first.id, second: created.key.id, successor: rotated.key.id };
}

describe('every audited change extends its item chain, in the same write', () => {
  it('links each event to the one before it, from 64 zeros to the head the item keeps', async () => {
    const { integration, first, second, successor } = await busyIntegration('Chained');
    const report = verifyTrail(await chains(integration.id));
    expect(report).toMatchObject({ ok: true, events: 8, unchained: 0 });
    expect(report.break).toBeUndefined();
    expect(report.chains.map((chain) => [chain.item, chain.events])).toEqual(
      [
        ['integration', 2],
        [`key ${first}`, 3],
        [`key ${second}`, 2],
        [`key ${successor}`, 1],
      ].sort(([a], [b]) => (String(a) < String(b) ? -1 : 1)),
    );

    const firstKey = chainOf((await raw(keyAddress(integration.id, first))) ?? {}, 'chain', integration.id);
    const events = [...firstKey.events].sort((a, b) => (a.id < b.id ? -1 : 1));
    expect(events.map((event) => event.action)).toEqual([
      'key.auto_generated',
      'key.revealed',
      'key.revoked',
    ]);
    expect(events[0]?.prevHash).toBe(GENESIS);
    for (const [i, event] of events.entries()) {
      expect(event.hash).toMatch(HEX);
      expect(event.hash).toBe(eventHash(event, event.prevHash as string));
      if (i > 0) expect(event.prevHash).toBe(events[i - 1]?.hash);
    }
    expect(firstKey.head).toBe(events.at(-1)?.hash);
    // Stored as 32 bytes each, not as text.
    const stored = await raw(keyAddress(integration.id, first));
    expect((stored?.[HEAD_ATTRIBUTE] as Uint8Array | undefined)?.length).toBe(32);

    // The list shows the links too.
    const page = await service.listAudit(engines.deps, alice, integration.id, { limit: 20 });
    expect(
      page.items.every((event) => HEX.test(String(event.hash)) && HEX.test(String(event.prevHash))),
    ).toBe(true);
  });

  it("chains the account's settings changes in their own items", async () => {
    await service.updateRotationSettings(engines.deps, alice, { rotationPeriodDays: 30 });
    await service.updateRotationSettings(engines.deps, alice, { reminderIntervalDays: 3 });
    await updateLeakSettings(engines.deps, alice, { policy: 'notify' });
    const report = verifyTrail(await chainStore().accountChains('chain'));
    expect(report).toMatchObject({ ok: true, events: 3 });
    expect(report.chains.map((chain) => chain.item).sort()).toEqual(['settings leaks', 'settings rotation']);
  });
});

describe('concurrent writers cannot extend the same head', () => {
  it('refuses a write conditioned on a head another write already extended', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Stale' });
    const stored = await engines.store.getKey('chain', integration.id, key.id);
    const stale = stored?.auditHead;
    expect(stale).toMatch(HEX);
    await service.revealKey(engines.deps, alice, integration.id, key.id);
    const late = appendEvent(auditEvent(alice, new Date(), 'key.identified', integration.id, key.id), stale);
    await expect(
      engines.client.send(
        new UpdateCommand({
          TableName: engines.tableName,
          Key: keyAddress(integration.id, key.id),
          UpdateExpression: `SET ${late.set}`,
          ConditionExpression: late.condition,
          ExpressionAttributeNames: late.names,
          ExpressionAttributeValues: late.values,
        }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('10 concurrent events on one key and 3 renames of its integration all land, in one unbroken line each', async () => {
    const { integration, key } = await service.createIntegration(engines.deps, alice, { name: 'Busy' });
    const target = { accountId: 'chain', integrationId: integration.id, id: key.id };
    await Promise.all([
      ...Array.from({ length: 10 }, () =>
        engines.store.recordKeyEvent({
          key: target,
          audit: auditEvent(alice, new Date(), 'key.identified', integration.id, key.id),
        }),
      ),
      ...Array.from({ length: 3 }, (_, i) =>
        service.updateIntegration(engines.deps, alice, integration.id, { name: `Busy ${i}` }),
      ),
    ]);
    const report = verifyTrail(await chains(integration.id));
    expect(report).toMatchObject({ ok: true, events: 15 });
    const keyChain = (await chains(integration.id)).find((chain) => chain.item === `key ${key.id}`);
    const prevs = new Set(keyChain?.events.map((event) => event.prevHash));
    expect(prevs.size).toBe(11);
  });
});

describe('verification points at what was changed in the table', () => {
  const eventIds = async (integrationId: string, keyId: string) => {
    const chain = (await chains(integrationId)).find((c) => c.item === `key ${keyId}`) as StoredChain;
    return [...chain.events].sort((a, b) => (a.id < b.id ? -1 : 1)).map((event) => event.id);
  };
  const edit = (integrationId: string, keyId: string, update: string, values?: Record<string, unknown>) =>
    engines.client.send(
      new UpdateCommand({
        TableName: engines.tableName,
        Key: keyAddress(integrationId, keyId),
        UpdateExpression: update,
        ExpressionAttributeNames: {
          '#audit': AUDIT_ATTRIBUTE,
          ...(update.includes('#hash') ? { '#hash': 'hash' } : {}),
        },
        ...(values ? { ExpressionAttributeValues: values } : {}),
      }),
    );

  it('an edited event: its id, "edited"', async () => {
    const { integration, first } = await busyIntegration('Edited');
    const [, revealed] = await eventIds(integration.id, first);
    await edit(integration.id, first, `SET #audit.${revealed}.actor = :who`, { ':who': 'someone-else' });
    const report = verifyTrail(await chains(integration.id));
    expect(report.ok).toBe(false);
    expect(report.break).toMatchObject({ item: `key ${first}`, eventId: revealed, reason: 'edited' });
  });

  it('a deleted event: the event after the gap, "missing-before"; the last one deleted: "head-mismatch"', async () => {
    const { integration, first } = await busyIntegration('Deleted');
    const [, revealed, revoked] = await eventIds(integration.id, first);
    await edit(integration.id, first, `REMOVE #audit.${revealed}`);
    expect(verifyTrail(await chains(integration.id)).break).toMatchObject({
      item: `key ${first}`,
      eventId: revoked,
      reason: 'missing-before',
    });

    const other = await busyIntegration('Deleted last');
    const [created, shown, last] = await eventIds(other.integration.id, other.first);
    expect(created && shown).toBeTruthy();
    await edit(other.integration.id, other.first, `REMOVE #audit.${last}`);
    expect(verifyTrail(await chains(other.integration.id)).break).toMatchObject({
      item: `key ${other.first}`,
      eventId: shown,
      reason: 'head-mismatch',
    });
  });

  it('an event stripped of its links, to pass as written before the chain: "unlinked"', async () => {
    const { integration, first } = await busyIntegration('Stripped');
    const [, , revoked] = await eventIds(integration.id, first);
    await edit(integration.id, first, `REMOVE #audit.${revoked}.#hash, #audit.${revoked}.prevHash`);
    expect(verifyTrail(await chains(integration.id)).break).toMatchObject({
      item: `key ${first}`,
      eventId: revoked,
      reason: 'unlinked',
    });
  });

  it('history rewritten with fresh hashes and head passes the chains, and fails against the last anchor', async () => {
    const { integration, first, second } = await busyIntegration('Rewritten');
    const anchor = anchorOf('chain', integration.id, await chains(integration.id), new Date());
    // A table writer rewrites the first key's chain consistently: every hash recomputed, head moved.
    const chain = (await chains(integration.id)).find((c) => c.item === `key ${first}`) as StoredChain;
    const sorted = [...chain.events].sort((a, b) => (a.id < b.id ? -1 : 1));
    let head: string | undefined;
    const rewritten: Record<string, unknown> = {};
    for (const event of sorted) {
      const changed = { ...event, actor: event.action === 'key.revealed' ? 'nobody' : event.actor };
      const links = { prevHash: head ?? GENESIS, hash: eventHash(changed, head ?? GENESIS) };
      const { id, accountId: _a, integrationId: _i, ...rest } = { ...changed, ...links };
      rewritten[id] = {
        ...rest,
        prevHash: Buffer.from(links.prevHash, 'hex'),
        hash: Buffer.from(links.hash, 'hex'),
      };
      head = links.hash;
    }
    await engines.client.send(
      new UpdateCommand({
        TableName: engines.tableName,
        Key: keyAddress(integration.id, first),
        UpdateExpression: 'SET #audit = :audit, #head = :head',
        ExpressionAttributeNames: { '#audit': AUDIT_ATTRIBUTE, '#head': HEAD_ATTRIBUTE },
        ExpressionAttributeValues: { ':audit': rewritten, ':head': Buffer.from(head as string, 'hex') },
      }),
    );
    expect(verifyTrail(await chains(integration.id)).ok).toBe(true);
    const against = verifyTrail(await chains(integration.id), anchor);
    expect(against).toMatchObject({ ok: false, anchor: { holds: false } });
    expect(against.break).toMatchObject({ item: `key ${first}`, reason: 'anchor-mismatch' });

    // A whole key item deleted is invisible to the chains left, and caught by the anchor.
    await engines.client.send(
      new DeleteCommand({ TableName: engines.tableName, Key: keyAddress(integration.id, second) }),
    );
    const deleted = verifyTrail(await chains(integration.id), anchor);
    expect(deleted.break).toMatchObject({ reason: 'anchor-mismatch' });
    expect(deleted.anchor?.holds).toBe(false);
  });

  it('a chain that only grew since the anchor holds it', async () => {
    const { integration, second } = await busyIntegration('Grown');
    const anchor = anchorOf('chain', integration.id, await chains(integration.id), new Date());
    await service.revokeKey(engines.deps, alice, integration.id, second);
    expect(verifyTrail(await chains(integration.id), anchor)).toMatchObject({
      ok: true,
      anchor: { holds: true },
    });
  });
});
