import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A request's deadline: the moment by which the function must have answered with its own JSON, a
 * margin before Lambda would cut it off. Every AWS call of the request carries an abort signal that
 * fires then (or earlier, for a step that must leave time for a later one), so no combination of SDK
 * retries and timeouts outlasts the function.
 *
 * It is carried in an AsyncLocalStorage rather than as a parameter of every domain function: the local
 * server runs many requests in one process at once, and each must see its own deadline; on Lambda a
 * container serves one request at a time and the store holds just that one.
 */
export interface Deadline {
  /** Epoch milliseconds. */
  readonly at: number;
}

/** How long before Lambda's timeout a function answers on its own. */
export const ANSWER_MARGIN_MS = 1_000;

const current = new AsyncLocalStorage<Deadline>();

export function deadlineFor(remainingMs: number, now = Date.now()): Deadline {
  return { at: now + Math.max(0, remainingMs - ANSWER_MARGIN_MS) };
}

/** Runs `fn` with `deadline` visible to every AWS call it makes, however deep. */
export function withDeadline<T>(deadline: Deadline, fn: () => T): T {
  return current.run(deadline, fn);
}

/** Milliseconds left before the current deadline, less `reserveMs`; undefined outside any request. */
export function remainingMs(reserveMs = 0): number | undefined {
  const deadline = current.getStore();
  return deadline === undefined ? undefined : Math.max(0, deadline.at - reserveMs - Date.now());
}

/**
 * The signal an AWS call passes as `abortSignal`: it fires `reserveMs` before the deadline, so a step
 * can leave time for what must follow it (the reveal's read-back). Outside a request: none.
 */
export function deadlineSignal(reserveMs = 0): AbortSignal | undefined {
  const left = remainingMs(reserveMs);
  return left === undefined ? undefined : AbortSignal.timeout(left);
}

/** Wraps a Lambda handler so that everything it runs, middlewares included, sees its deadline. */
export function deadlineHandler<E, C extends { getRemainingTimeInMillis?: () => number }, R>(
  handler: (event: E, context: C) => Promise<R>,
): (event: E, context: C) => Promise<R> {
  return (event, context) => {
    const remaining = context?.getRemainingTimeInMillis?.();
    if (remaining === undefined) return handler(event, context);
    return withDeadline(deadlineFor(remaining), () => handler(event, context));
  };
}
