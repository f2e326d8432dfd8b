import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { revealRetryWaitMs } from '../../shared/adapters/dynamodb/store.js';
import { packSealed } from '../../shared/adapters/kms-envelope.js';
import { OutcomeUnknownError, RetryableError } from '../../shared/domain/errors.js';
import type { KeyRecord } from '../../shared/domain/model.js';
import { deadlineFor, withDeadline } from '../../shared/runtime/deadline.js';
import { awsError, startFakeAws, storeOn } from '../support/fake-aws.js';
import { revealAudit, sampleKey } from '../support/fixtures.js';

// The reveal commit's handling of answers DynamoDB Local cannot be made to give on cue: a single-item
// write refused because a transaction held the item (TransactionConflictException), a commit whose
// answer never comes before the deadline. The SDK's own client runs, retries included.
let peer: Awaited<ReturnType<typeof startFakeAws>>;
beforeAll(async () => {
  peer = await startFakeAws();
});
afterAll(() => peer.close());

const key: KeyRecord = { ...sampleKey, displayCiphertext: 'v1.AAAA.AAAAAAAAAAAAAAAA.AAAAAAAAAAAAAAAAAAAAAA' };
const store = () => storeOn(peer.endpoint);
const input = {
  key,
  revealId: '11111111-1111-4111-8111-111111111111',
  viewedBy: 'bob',
  viewedAt: '2026-12-01T00:00:01.000Z',
  audit: revealAudit,
};
// As DynamoDB sends it: the display copy is a binary attribute, base64 on the wire.
const { displayCiphertext, ...rest } = key;
const stillViewable = {
  Item: {
    ...marshall(rest),
    displayCiphertext: { B: Buffer.from(packSealed(displayCiphertext ?? '')).toString('base64') },
  },
};
const conflict = { status: 400, body: awsError('TransactionConflictException', 'Transaction is ongoing') };

describe('reveal commit against a write conflict', () => {
  it('re-reads and retries when a transaction held the key, then commits once', async () => {
    let updates = 0;
    peer.answer((call) => {
      if (call.operation === 'GetItem') return { body: stillViewable };
      updates++;
      return updates === 1 ? conflict : { body: {} };
    });
    await expect(store().commitReveal(input)).resolves.toEqual({ status: 'committed' });
    expect(peer.calls.map((call) => call.operation)).toEqual(['UpdateItem', 'GetItem', 'UpdateItem']);
  });

  it('answers retryable (503) when the conflict outlasts its retries, and the key stays viewable', async () => {
    peer.answer((call) => (call.operation === 'GetItem' ? { body: stillViewable } : conflict));
    await expect(store().commitReveal(input)).rejects.toBeInstanceOf(RetryableError);
    expect(peer.calls.filter((call) => call.operation === 'UpdateItem')).toHaveLength(4);
  });
});

describe('reveal commit against a write conflict, when it cannot go on', () => {
  const operations = () => peer.calls.map((call) => call.operation);

  it('a key found revoked on the read-back is not viewable, even with a display copy left', async () => {
    const { displayCiphertext: _, ...revealed } = stillViewable.Item;
    const revoked = {
      Item: {
        ...revealed,
        ...marshall({ status: 'revoked' }),
        displayCiphertext: stillViewable.Item.displayCiphertext,
      },
    };
    peer.answer((call) => (call.operation === 'GetItem' ? { body: revoked } : conflict));
    await expect(store().commitReveal(input)).resolves.toMatchObject({
      status: 'not-viewable',
      key: { status: 'revoked' },
    });
    expect(operations()).toEqual(['UpdateItem', 'GetItem']);
  });

  it('a refused commit whose read-back fails answers "retry" (nothing changed), not "outcome unknown"', async () => {
    peer.answer((call) =>
      call.operation === 'GetItem'
        ? { status: 400, body: awsError('AccessDeniedException', 'not allowed') }
        : conflict,
    );
    const failure = await store()
      .commitReveal(input)
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(RetryableError);
    expect(failure).not.toBeInstanceOf(OutcomeUnknownError);
    expect(operations()).toEqual(['UpdateItem', 'GetItem']);
  });

  it('an error that is neither a condition nor transient is thrown as it is, with no read-back', async () => {
    peer.answer(() => ({ status: 400, body: awsError('ValidationException', 'bad expression') }));
    const failure = await store()
      .commitReveal(input)
      .catch((error: unknown) => error);
    expect(failure).not.toBeInstanceOf(RetryableError);
    expect(failure).toMatchObject({ name: 'ValidationException' });
    expect(operations()).toEqual(['UpdateItem']);
  });

  it('with less time left than the wait before a retry, answers "retry" after one read-back', async () => {
    peer.answer((call) => (call.operation === 'GetItem' ? { body: stillViewable } : conflict));
    // A few milliseconds before the read-back reserve: less than the shortest wait (10 ms).
    const nearlyOut = deadlineFor(1_000 + 600 + 5);
    await expect(withDeadline(nearlyOut, () => store().commitReveal(input))).rejects.toBeInstanceOf(
      RetryableError,
    );
    expect(operations().filter((operation) => operation === 'GetItem')).toEqual(['GetItem']);
    expect(operations().filter((operation) => operation === 'UpdateItem').length).toBeLessThanOrEqual(1);
  });

  it('waits 10 ms plus a jitter of up to 40 ms per attempt so far', () => {
    expect(revealRetryWaitMs(0, 0)).toBe(10);
    expect(revealRetryWaitMs(0, 0.5)).toBe(30);
    expect(revealRetryWaitMs(2, 0.5)).toBe(70);
    expect(revealRetryWaitMs(3, 0.25)).toBe(50);
  });
});

describe('reveal commit whose outcome is unknown', () => {
  // As a Lambda with 2.6 s left would run it: the deadline is 1.6 s away, the commit gets 1 s of it.
  const underDeadline = <T>(work: () => Promise<T>) => withDeadline(deadlineFor(2_600), work);
  const revealIdOf = (call: { input: Record<string, unknown> }) =>
    (call.input.ExpressionAttributeValues as Record<string, { S?: string }>)[':revealId']?.S ?? '';

  it('reads the key back before the deadline and recognises its own commit', async () => {
    let committedWith = '';
    peer.answer((call) => {
      if (call.operation === 'UpdateItem') {
        // DynamoDB applies the write, but its answer is never delivered in time.
        committedWith = revealIdOf(call);
        return { delayMs: 20_000, body: {} };
      }
      const { displayCiphertext: _, ...revealed } = key;
      return { body: { Item: marshall({ ...revealed, viewedBy: 'bob', revealId: committedWith }) } };
    });
    await expect(underDeadline(() => store().commitReveal(input))).resolves.toEqual({ status: 'committed' });
    expect(committedWith).toBe(input.revealId);
    expect(peer.calls.map((call) => call.operation)).toEqual(['UpdateItem', 'GetItem']);
  });

  it('answers 503 "outcome unknown", not "nothing changed", when the read-back cannot run either', async () => {
    peer.answer(() => ({ delayMs: 20_000, body: {} }));
    const failure = await underDeadline(() => store().commitReveal(input)).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OutcomeUnknownError);
    expect((failure as RetryableError).statusCode).toBe(503);
    expect((failure as Error).message).not.toMatch(/nothing was changed/);
  });
});
