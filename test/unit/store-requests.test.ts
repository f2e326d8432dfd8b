import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createChainStore } from '../../shared/adapters/dynamodb/audit.js';
import { headBackoffMs } from '../../shared/adapters/dynamodb/chain.js';
import { allIntegrations } from '../../shared/adapters/dynamodb/integrations.js';
import { createReminderStore } from '../../shared/adapters/dynamodb/reminders.js';
import { packSealed } from '../../shared/adapters/kms-envelope.js';
import { RetryableError } from '../../shared/domain/errors.js';
import type { AuditEvent } from '../../shared/domain/model.js';
import { awsError, dynamoClientOn, type FakeCall, startFakeAws, storeOn } from '../support/fake-aws.js';
import { sampleKey } from '../support/fixtures.js';

/**
 * What the DynamoDB store asks for, and what it makes of answers DynamoDB Local cannot be made to give
 * on cue: a first settings write that keeps losing its race, pages that come in parts, a credential
 * whose entries expire at the very instant, a conditional write that loses to a concurrent change.
 * DynamoDB's own behaviour is proven against DynamoDB Local (test/connected).
 */
let peer: Awaited<ReturnType<typeof startFakeAws>>;
beforeAll(async () => {
  peer = await startFakeAws();
});
afterAll(() => peer.close());

const store = () => storeOn(peer.endpoint, { maxAttempts: 1 });
/** A rotation policy write, as the service makes it. */
const putSettings = () =>
  store().putRotationSettings({
    accountId: 'acme',
    settings: { rotationPeriodDays: 30, reminderIntervalDays: 7, updatedAt: audit.at, updatedBy: 'alice' },
    audit,
  });
const operations = () => peer.calls.map((call) => call.operation);
const conditionFailed = { status: 400, body: awsError('ConditionalCheckFailedException', 'failed') };
const audit: AuditEvent = {
  id: 'evt_01M8STXNSD4ZY5FGN1KN4W6R3G',
  accountId: 'acme',
  action: 'settings.rotation_updated',
  actor: 'alice',
  at: '2026-12-01T00:00:01.000Z',
  requestId: 'r',
  sourceIp: '198.51.100.1',
};

describe('account settings', () => {
  it('a first write that loses its race both ways three times answers "retry"', async () => {
    // No item to update, yet one already there when it is created: a concurrent first write, each time.
    peer.answer((call) => (call.operation === 'GetItem' ? { body: {} } : conditionFailed));
    await expect(putSettings()).rejects.toBeInstanceOf(RetryableError);
    expect(operations()).toEqual(
      Array.from({ length: 3 }, () => ['GetItem', 'UpdateItem', 'PutItem']).flat(),
    );
  });

  it('a first write that loses its race once is made as an update of the item the winner created', async () => {
    let puts = 0;
    peer.answer((call) => {
      if (call.operation === 'GetItem') return { body: {} };
      if (call.operation === 'PutItem') return puts++ === 0 ? conditionFailed : { body: {} };
      return operations().filter((operation) => operation === 'UpdateItem').length === 1
        ? conditionFailed
        : { body: {} };
    });
    await store().putLeakPolicy({
      accountId: 'acme',
      settings: { policy: 'revoke', updatedAt: audit.at, updatedBy: 'alice' },
      audit,
    });
    expect(operations()).toEqual(['GetItem', 'UpdateItem', 'PutItem', 'GetItem', 'UpdateItem']);
  });
});

describe('reads', () => {
  const keyItem = (id: string) => ({
    ...marshall({ ...sampleKey, id, pk: 'ACCOUNT#acme', sk: `KEY#${id}` }),
  });

  it('a list follows every page DynamoDB returns', async () => {
    peer.answer((call) =>
      call.input.ExclusiveStartKey === undefined
        ? { body: { Items: [keyItem('key_a')], LastEvaluatedKey: { pk: { S: 'p' }, sk: { S: 's' } } } }
        : { body: { Items: [keyItem('key_b')] } },
    );
    const keys = await store().listKeys('acme', sampleKey.integrationId);
    expect(keys.map((key) => key.id)).toEqual(['key_a', 'key_b']);
    expect(peer.calls[1]?.input.ExclusiveStartKey).toEqual({ pk: { S: 'p' }, sk: { S: 's' } });
  });

  it('a call DynamoDB never answers is given up at its 3 s request timeout and made again', async () => {
    let calls = 0;
    peer.answer(() => (calls++ === 0 ? { delayMs: 20_000, body: {} } : { body: {} }));
    await expect(
      storeOn(peer.endpoint, { maxAttempts: 2 }).getKey('acme', sampleKey.integrationId, sampleKey.id),
    ).resolves.toBeUndefined();
    expect(operations()).toEqual(['GetItem', 'GetItem']);
  }, 15_000);

  it('credentials and keys are read strongly consistent: a change just made is seen', async () => {
    peer.answer(() => ({ body: {} }));
    await store().getCredential('ak_x');
    await store().getKey('acme', sampleKey.integrationId, sampleKey.id);
    expect(peer.calls.map((call: FakeCall) => call.input.ConsistentRead)).toEqual([true, true]);
  });
});

describe('the audit trail', () => {
  const chains = () =>
    createChainStore({ client: dynamoClientOn(peer.endpoint, { maxAttempts: 1 }), tableName: 't' });

  it('reads every chain strongly consistent: an event just written is verified', async () => {
    peer.answer((call) =>
      call.operation === 'GetItem'
        ? { body: { Item: { sk: { S: `INTEGRATION#${sampleKey.integrationId}` } } } }
        : { body: { Items: [] } },
    );
    await chains().auditChains('acme', sampleKey.integrationId);
    await chains().accountChains('acme');
    const reads = peer.calls.map((call) => `${call.operation} ${call.input.ConsistentRead}`);
    expect(reads.sort()).toEqual(['GetItem true', 'Query true', 'Query true']);
  });

  it('visits every integration of every account, page by page', async () => {
    const integration = (accountId: string, id: string) => ({ accountId: { S: accountId }, id: { S: id } });
    peer.answer((call) =>
      call.input.ExclusiveStartKey === undefined
        ? { body: { Items: [integration('acme', 'int_a')], LastEvaluatedKey: { pk: { S: 'p' } } } }
        : { body: { Items: [integration('globex', 'int_b'), { accountId: { S: 'x' } }] } },
    );
    const seen = [];
    for await (const found of allIntegrations(dynamoClientOn(peer.endpoint), 't')) seen.push(found);
    expect(seen).toEqual([
      { accountId: 'acme', integrationId: 'int_a' },
      { accountId: 'globex', integrationId: 'int_b' },
    ]);
    expect(peer.calls.map((call) => call.input.ExclusiveStartKey)).toEqual([undefined, { pk: { S: 'p' } }]);
  });
});

describe("the reminder job's batch reads", () => {
  const names = () =>
    createReminderStore({
      client: dynamoClientOn(peer.endpoint, { maxAttempts: 1 }),
      tableName: 't',
    }).integrationNames([
      { accountId: 'acme', integrationId: 'int_a' },
      { accountId: 'acme', integrationId: 'int_b' },
    ]);
  const item = (id: string) => ({ accountId: { S: 'acme' }, id: { S: id }, name: { S: `Name ${id}` } });

  it('ask again for the keys DynamoDB left unprocessed', async () => {
    peer.answer((call) => {
      const keys = (call.input.RequestItems as { t: { Keys: unknown[] } }).t.Keys;
      // One item a call, the rest left for later: as DynamoDB answers when a batch exceeds its limits.
      return {
        body: {
          Responses: { t: [item(keys.length === 2 ? 'int_a' : 'int_b')] },
          ...(keys.length === 2 ? { UnprocessedKeys: { t: { Keys: keys.slice(1) } } } : {}),
        },
      };
    });
    expect(await names()).toEqual(
      new Map([
        ['acme/int_a', 'Name int_a'],
        ['acme/int_b', 'Name int_b'],
      ]),
    );
    expect(operations()).toEqual(['BatchGetItem', 'BatchGetItem']);
  });

  it('answer "retry" when keys stay unprocessed after six calls, waiting twice as long before each', async () => {
    const asked: number[] = [];
    peer.answer((call) => {
      asked.push(Date.now());
      return { body: { Responses: { t: [] }, UnprocessedKeys: call.input.RequestItems } };
    });
    await expect(names()).rejects.toBeInstanceOf(RetryableError);
    expect(operations()).toHaveLength(6);
    // 20 + 40 + 80 + 160 + 320 ms at least (a lower bound: a slow machine only waits longer).
    expect((asked.at(-1) ?? 0) - (asked[0] ?? 0)).toBeGreaterThanOrEqual(615);
  });
});

describe('dropping expired signing entries', () => {
  const now = '2026-12-01T12:00:00.000Z';
  const signing = {
    B: Buffer.from(packSealed('v1.AAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA')).toString('base64'),
  };
  const entry = (expiresAt?: string) => ({
    M: { signing, ...(expiresAt ? { expiresAt: { S: expiresAt } } : {}) },
  });
  const credential = (accountId: string) => ({
    Item: {
      pk: { S: 'CREDENTIAL#ak_x' },
      sk: { S: 'CREDENTIAL' },
      apiKey: { S: 'ak_x' },
      accountId: { S: accountId },
      integrationId: { S: sampleKey.integrationId },
      legacySignatures: { BOOL: false },
      keys: {
        M: {
          key_atNow: entry(now),
          key_before: entry('2026-12-01T11:59:59.999Z'),
          key_after: entry('2026-12-01T12:00:00.001Z'),
          key_never: entry(),
        },
      },
    },
  });

  it('removes the entries expired at or before now, reading the credential strongly consistent', async () => {
    peer.answer((call) => (call.operation === 'GetItem' ? { body: credential('acme') } : { body: {} }));
    await expect(store().pruneExpired('ak_x', 'acme', now)).resolves.toBe(2);
    const [read, update] = peer.calls;
    expect(read?.input.ConsistentRead).toBe(true);
    const names = update?.input.ExpressionAttributeNames as Record<string, string>;
    expect(Object.values(names).sort()).toEqual(['key_atNow', 'key_before', 'keys']);
  });

  it("writes nothing for another account's credential", async () => {
    peer.answer(() => ({ body: credential('evil') }));
    await expect(store().pruneExpired('ak_x', 'acme', now)).resolves.toBe(0);
    expect(operations()).toEqual(['GetItem']);
  });

  it('counts nothing when a concurrent change wins the condition', async () => {
    peer.answer((call) => (call.operation === 'GetItem' ? { body: credential('acme') } : conditionFailed));
    await expect(store().pruneExpired('ak_x', 'acme', now)).resolves.toBe(0);
    expect(operations()).toEqual(['GetItem', 'UpdateItem']);
  });

  it('passes on a refusal that is not the condition, as "retry" when DynamoDB throttles', async () => {
    peer.answer((call) =>
      call.operation === 'GetItem'
        ? { body: credential('acme') }
        : { status: 400, body: awsError('ValidationException', 'bad expression') },
    );
    await expect(store().pruneExpired('ak_x', 'acme', now)).rejects.toMatchObject({
      name: 'ValidationException',
    });
    peer.answer((call) =>
      call.operation === 'GetItem'
        ? { body: credential('acme') }
        : { status: 400, body: awsError('ThrottlingException', 'slow down') },
    );
    await expect(store().pruneExpired('ak_x', 'acme', now)).rejects.toBeInstanceOf(RetryableError);
  });
});

describe('rotation answers', () => {
  const sealed = 'v1.AAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA';
  const successorKey = { ...sampleKey, id: 'key_01M8STXNSD4ZY5FGN1KN4W6R3H' };
  const rotate = () =>
    store().rotateKey({
      apiKey: 'ak_x',
      previous: sampleKey,
      expiresAt: '2026-12-02T00:00:00.000Z',
      previousDueAt: undefined,
      successor: {
        key: successorKey,
        signing: { name: 'k', status: 'active', createdAt: sampleKey.createdAt, signing: sealed },
        audit: { ...audit, action: 'key.created', keyId: successorKey.id },
      },
      audit: { ...audit, action: 'key.rotated', keyId: sampleKey.id },
      maxUsableKeys: 10,
    });
  const cancelled = (codes: string[]) => ({
    status: 400,
    body: awsError('TransactionCanceledException', 'cancelled', {
      CancellationReasons: codes.map((Code) => ({ Code })),
    }),
  });

  it('the cap is named only when the credential condition failed; another refusal is passed on as it is', async () => {
    peer.answer(() => cancelled(['None', 'None', 'ConditionalCheckFailed']));
    await expect(rotate()).rejects.toMatchObject({ code: 'too_many_keys' });
    peer.answer(() => ({ status: 400, body: awsError('ValidationException', 'bad expression') }));
    const failure = await rotate().catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'ValidationException' });
    expect(failure).not.toMatchObject({ code: 'too_many_keys' });
  });

  it('the old key no longer active (its condition failed, the item says so) is refused as not active', async () => {
    peer.answer(() => ({
      status: 400,
      body: awsError('TransactionCanceledException', 'cancelled', {
        CancellationReasons: [
          { Code: 'None' },
          { Code: 'ConditionalCheckFailed', Item: marshall({ ...sampleKey, status: 'expiring' }) },
          { Code: 'None' },
        ],
      }),
    }));
    await expect(rotate()).rejects.toMatchObject({ code: 'key_not_active' });
    expect(operations()).toEqual(['TransactWriteItems']);
  });
});

describe('writes that extend an audit chain', () => {
  const event = { ...audit, action: 'key.exposed' as const, keyId: sampleKey.id };
  const head = (byte: number) => ({ B: Buffer.alloc(32, byte).toString('base64') });
  const moved = (byte: number) => ({
    status: 400,
    body: awsError('ConditionalCheckFailedException', 'failed', { Item: { auditHead: head(byte) } }),
  });
  const record = () => store().recordKeyEvent({ key: sampleKey, audit: event });

  it('pause a jittered span doubling from 10 ms up to 400 ms', () => {
    expect(headBackoffMs(0, 0.5)).toBe(5);
    expect(headBackoffMs(3, 0.5)).toBe(40);
    expect(headBackoffMs(5, 0.5)).toBe(160);
    expect(headBackoffMs(6, 0.5)).toBe(200);
    expect(headBackoffMs(9, 1)).toBe(400);
  });

  it('follow a moved head ten times at most, then answer "retry"', async () => {
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    try {
      let moves = 0;
      peer.answer((call) =>
        call.operation === 'GetItem' ? { body: { Item: { auditHead: head(0) } } } : moved(++moves),
      );
      await expect(record()).rejects.toBeInstanceOf(RetryableError);
      expect(operations()).toEqual(['GetItem', ...Array.from({ length: 10 }, () => 'UpdateItem')]);
    } finally {
      random.mockRestore();
    }
  });

  it('take a failed condition that left the head as read as the answer, with no retry', async () => {
    peer.answer((call) =>
      call.operation === 'GetItem' ? { body: { Item: { auditHead: head(7) } } } : moved(7),
    );
    await expect(putSettings()).rejects.toBeInstanceOf(RetryableError);
    // Each of the three rounds: the head, one update refused on its own condition, the first-write attempt.
    expect(operations()).toEqual(
      Array.from({ length: 3 }, () => ['GetItem', 'UpdateItem', 'PutItem']).flat(),
    );
  });

  it('pass on an error that is not a failed condition', async () => {
    peer.answer((call) =>
      call.operation === 'GetItem'
        ? { body: {} }
        : { status: 400, body: awsError('ValidationException', 'bad expression') },
    );
    await expect(record()).rejects.toMatchObject({ name: 'ValidationException' });
    expect(operations()).toEqual(['GetItem', 'UpdateItem']);
  });
});

describe('conditional writes whose failed condition is an answer', () => {
  const use = () =>
    store().recordKeyUse({
      accountId: 'acme',
      integrationId: sampleKey.integrationId,
      keyId: sampleKey.id,
      at: '2026-12-01T00:00:00.000Z',
      notBefore: '2026-11-30T23:00:00.000Z',
    });

  it('answer false on a failed condition, and pass any other error on', async () => {
    peer.answer(() => conditionFailed);
    await expect(use()).resolves.toBe(false);
    peer.answer(() => ({ body: {} }));
    await expect(use()).resolves.toBe(true);
    peer.answer(() => ({ status: 400, body: awsError('ValidationException', 'bad expression') }));
    await expect(use()).rejects.toMatchObject({ name: 'ValidationException' });
  });
});
