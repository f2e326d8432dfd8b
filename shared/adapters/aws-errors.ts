import { isServerError, isThrottlingError, isTransientError } from '@smithy/core/retry';

/**
 * What a failed AWS call means for the caller, by the SDK's own classification: throttling, 5xx,
 * timeouts and dropped connections are worth a retry (the SDK already retried them); a call aborted by
 * the request's deadline is too, since it did not finish. Everything else (validation, access denied,
 * a failed condition) is not.
 */
export function isRetryableAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const sdkError = error as SdkError;
  return (
    isAborted(error) || isThrottlingError(sdkError) || isTransientError(sdkError) || isServerError(sdkError)
  );
}

/** The SDK's classifiers take its error shape; any Error may be passed (they read optional fields). */
export type SdkError = Parameters<typeof isThrottlingError>[0];

/** The request's deadline (its abort signal) ended the call. */
export function isAborted(error: unknown): boolean {
  return error instanceof Error && error.name === 'AbortError';
}
