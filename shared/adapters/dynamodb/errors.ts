import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { isThrottlingError } from '@smithy/core/retry';
import { isRetryableAwsError, type SdkError } from '../aws-errors.js';

type Item = Record<string, unknown>;

/** Reasons a cancelled transaction gives per entry that mean "try again", not "your condition failed". */
const TRANSIENT_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
]);

function reasonCodes(error: TransactionCanceledException): string[] {
  // Stryker disable next-line StringLiteral: an entry without a code matches no reason we look for, whatever text stands in for it
  return (error.CancellationReasons ?? []).map((reason) => reason.Code ?? 'None');
}

/** Throttling, timeouts, 5xx, conflicts with a concurrent transaction: nothing was written; retry. */
export function isTransient(error: unknown): boolean {
  if (error instanceof TransactionCanceledException) {
    return reasonCodes(error).some((code) => TRANSIENT_REASONS.has(code));
  }
  // A single-item write to an item that a transaction holds at that moment is refused this way.
  if (error instanceof TransactionConflictException) return true;
  return isRetryableAwsError(error);
}

/** A condition failed: of a single-item write, of any transaction entry, or of entry `index`. */
export function isConditionFailure(error: unknown, index?: number): boolean {
  if (error instanceof ConditionalCheckFailedException) return index === undefined;
  if (!(error instanceof TransactionCanceledException)) return false;
  const codes = reasonCodes(error);
  return index === undefined
    ? codes.includes('ConditionalCheckFailed')
    : codes[index] === 'ConditionalCheckFailed';
}

/**
 * The item a failed condition returned (ReturnValuesOnConditionCheckFailure: ALL_OLD), unmarshalled,
 * for a single-item write or transaction entry `index`.
 */
export function conditionItem(error: unknown, index?: number): Item | undefined {
  let raw: Parameters<typeof unmarshall>[0] | undefined;
  if (error instanceof ConditionalCheckFailedException) raw = error.Item;
  else if (error instanceof TransactionCanceledException && index !== undefined) {
    raw = error.CancellationReasons?.[index]?.Item;
  }
  return raw ? unmarshall(raw) : undefined;
}

/**
 * Drops the items a failed condition carries from an error that leaves the adapter: they hold
 * ciphertexts and key metadata, and an error that reaches the logger is serialised whole.
 */
export function scrub(error: unknown): unknown {
  if (error instanceof ConditionalCheckFailedException) delete error.Item;
  if (error instanceof TransactionCanceledException) {
    for (const reason of error.CancellationReasons ?? []) delete reason.Item;
  }
  return error;
}

/**
 * DynamoDB refused the write before applying it: throttled, or the item was held by a concurrent
 * transaction. Unlike a timeout or a 5xx, the outcome is known: nothing changed.
 */
export function wasRefused(error: unknown): boolean {
  return (
    error instanceof TransactionConflictException ||
    (error instanceof Error && isThrottlingError(error as SdkError))
  );
}
