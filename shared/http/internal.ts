import * as z from 'zod/mini';
import { DomainError } from '../domain/errors.js';
import { lambdaHandler } from './handler.js';
import { describeIssues } from './issues.js';

/** How an internal function answers input it cannot act on: the same shape as the HTTP API's errors. */
export interface InternalError {
  error: { code: string; message: string };
}

/**
 * The one builder of the internal functions (invoked with IAM credentials by the platform's services):
 * the shared chain, the event parsed by its schema, and every refusal as `{ error: { code, message } }`
 * — bad input as `invalid_request`, a domain error by its code — so a caller can tell "fix your input"
 * from "retry". Anything else is thrown, and Lambda reports it as a function error.
 */
export function internalHandler<T, R>(schema: z.core.$ZodType<T>, fn: (input: T) => Promise<R>) {
  return lambdaHandler<unknown, R | InternalError>((chain) =>
    chain.handler(async (event) => {
      const input = z.safeParse(schema, event);
      if (!input.success) {
        return { error: { code: 'invalid_request', message: describeIssues('', input.error.issues) } };
      }
      try {
        return await fn(input.data);
      } catch (error) {
        if (error instanceof DomainError) return { error: { code: error.code, message: error.message } };
        throw error;
      }
    }),
  );
}
