import {
  ConditionalCheckFailedException,
  InternalServerError,
  ProvisionedThroughputExceededException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { isAborted, isRetryableAwsError } from '../../shared/adapters/aws-errors.js';
import { decodeCursor, encodeCursor } from '../../shared/adapters/dynamodb/cursor.js';
import {
  conditionItem,
  isConditionFailure,
  isTransient,
  scrub,
  wasRefused,
} from '../../shared/adapters/dynamodb/errors.js';
import { ValidationError } from '../../shared/domain/errors.js';

/**
 * How the adapters read a failed AWS call, one exception class at a time: what is worth a retry, which
 * transaction entry's condition failed, the item it returned, and the scrubbing of that item before an
 * error leaves the adapter. The same exceptions raised by the real clients are in error-mapping.test.ts.
 */
const meta = { $metadata: {} };
const cancelled = (...reasons: { Code?: string; Item?: Record<string, unknown> }[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    ...meta,
    CancellationReasons: reasons.map(({ Code, Item }) => ({
      ...(Code === undefined ? {} : { Code }),
      ...(Item === undefined ? {} : { Item: marshall(Item) }),
    })),
  });
const conditionFailed = (item?: Record<string, unknown>) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    ...meta,
    ...(item ? { Item: marshall(item) } : {}),
  });
const throttled = () => new ProvisionedThroughputExceededException({ message: 'slow down', ...meta });
const conflict = () => new TransactionConflictException({ message: 'held', ...meta });
const aborted = () => Object.assign(new Error('The operation was aborted'), { name: 'AbortError' });

describe('retryable AWS failures', () => {
  it.each([
    ['throttling', throttled()],
    ['a 5xx', new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
    ['a dropped connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ["the request's deadline", aborted()],
  ])('%s is worth a retry', (_, error) => {
    expect(isRetryableAwsError(error)).toBe(true);
    expect(isTransient(error)).toBe(true);
  });

  it.each([
    ['a failed condition', conditionFailed()],
    [
      'access denied',
      Object.assign(new Error('no'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }),
    ],
    [
      'a validation error',
      Object.assign(new Error('bad'), { name: 'ValidationException', $metadata: { httpStatusCode: 400 } }),
    ],
    ['something that is no Error', { name: 'ThrottlingException', $retryable: { throttling: true } }],
  ])('%s is not', (_, error) => {
    expect(isRetryableAwsError(error)).toBe(false);
    expect(isTransient(error)).toBe(false);
  });

  it('only an Error named AbortError is an abort', () => {
    expect(isAborted(aborted())).toBe(true);
    expect(isAborted(new Error('AbortError'))).toBe(false);
    expect(isAborted({ name: 'AbortError' })).toBe(false);
  });

  it('a cancelled transaction is transient when any entry was cancelled for a transient reason', () => {
    expect(isTransient(cancelled({ Code: 'None' }, { Code: 'TransactionConflict' }))).toBe(true);
    expect(isTransient(cancelled({ Code: 'ThrottlingError' }))).toBe(true);
    expect(isTransient(cancelled({ Code: 'ProvisionedThroughputExceeded' }, { Code: 'None' }))).toBe(true);
    expect(isTransient(cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' }))).toBe(false);
    expect(isTransient(cancelled({}, { Code: 'ValidationError' }))).toBe(false);
  });

  it('a write refused by a concurrent transaction is transient, and known to have changed nothing', () => {
    expect(isTransient(conflict())).toBe(true);
    expect(wasRefused(conflict())).toBe(true);
    expect(wasRefused(throttled())).toBe(true);
    // A timeout or a 5xx may have been applied: retryable, but not known to be refused.
    expect(wasRefused(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe(false);
    expect(wasRefused(new InternalServerError({ message: 'oops', $metadata: { httpStatusCode: 500 } }))).toBe(
      false,
    );
    expect(wasRefused({ name: 'ThrottlingException', $retryable: { throttling: true } })).toBe(false);
  });
});

describe('failed conditions', () => {
  it('of a single-item write: any condition, but no transaction entry', () => {
    expect(isConditionFailure(conditionFailed())).toBe(true);
    expect(isConditionFailure(conditionFailed(), 0)).toBe(false);
  });

  it('of a transaction: any entry, or the entry at an index', () => {
    const error = cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed' });
    expect(isConditionFailure(error)).toBe(true);
    expect(isConditionFailure(error, 1)).toBe(true);
    expect(isConditionFailure(error, 0)).toBe(false);
    expect(isConditionFailure(error, 2)).toBe(false);
    expect(isConditionFailure(cancelled({ Code: 'TransactionConflict' }))).toBe(false);
  });

  it('anything else is no failed condition', () => {
    expect(isConditionFailure(throttled())).toBe(false);
    expect(isConditionFailure(new Error('ConditionalCheckFailed'))).toBe(false);
  });

  it('the item a condition returned, unmarshalled, from the write or from the entry at the index', () => {
    expect(conditionItem(conditionFailed({ pk: 'a', n: 1 }))).toEqual({ pk: 'a', n: 1 });
    expect(conditionItem(conditionFailed())).toBeUndefined();
    const error = cancelled({ Code: 'None' }, { Code: 'ConditionalCheckFailed', Item: { pk: 'b' } });
    expect(conditionItem(error, 1)).toEqual({ pk: 'b' });
    expect(conditionItem(error, 0)).toBeUndefined();
    expect(conditionItem(error)).toBeUndefined();
    expect(conditionItem(throttled(), 0)).toBeUndefined();
  });

  it('scrub drops the returned items from what leaves the adapter, and keeps the rest', () => {
    const single = conditionFailed({ displayCiphertext: 'sealed' });
    expect(scrub(single)).toBe(single);
    expect(single.Item).toBeUndefined();
    const transaction = cancelled(
      { Code: 'ConditionalCheckFailed', Item: { displayCiphertext: 'sealed' } },
      { Code: 'None', Item: { signing: 'sealed' } },
    );
    scrub(transaction);
    expect(transaction.CancellationReasons).toEqual([{ Code: 'ConditionalCheckFailed' }, { Code: 'None' }]);
    expect(JSON.stringify(transaction)).not.toContain('sealed');
    const other = new Error('other');
    expect(scrub(other)).toBe(other);
  });
});

describe('list cursors', () => {
  const always = () => true;

  it('round-trip a position as an opaque base64url token', () => {
    const cursor = encodeCursor('KEY#key_01M8STXNSD4ZY5FGN1KN4W6R3F');
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(cursor, always)).toBe('KEY#key_01M8STXNSD4ZY5FGN1KN4W6R3F');
  });

  it('no cursor is the first page', () => {
    expect(decodeCursor(undefined, () => false)).toBeUndefined();
  });

  it.each([
    ['not base64url JSON', 'not-json'],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['no position', Buffer.from('{}').toString('base64url')],
    ['a position that is no string', Buffer.from('{"at":7}').toString('base64url')],
  ])('%s is refused with what to do', (_, cursor) => {
    expect(() => decodeCursor(cursor, always)).toThrow(ValidationError);
    expect(() => decodeCursor(cursor, always)).toThrow(/start again without it/);
  });

  it("a position the list's own check refuses (another tenant's) is refused", () => {
    const cursor = encodeCursor('ACCOUNT#other');
    expect(() => decodeCursor(cursor, (at) => at.startsWith('KEY#'))).toThrow(ValidationError);
    expect(decodeCursor(cursor, (at) => at === 'ACCOUNT#other')).toBe('ACCOUNT#other');
  });
});
