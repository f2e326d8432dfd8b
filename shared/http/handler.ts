import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy, { type MiddyfiedHandler } from '@middy/core';
import type { Context } from 'aws-lambda';
import { deadlineHandler } from '../runtime/deadline.js';
import { logger } from './logger.js';

/**
 * The one way a function is built: middy with the logger's context (cleared per request), the chain the
 * caller adds, and the whole of it run under the request's deadline, so every AWS call it makes (in a
 * middleware or the handler) stops in time for the function to answer with its own JSON.
 */
export function lambdaHandler<E, R, C extends Context = Context>(
  configure: (chain: MiddyfiedHandler<E, R, Error, C>) => MiddyfiedHandler<E, R, Error, C>,
): (event: E, context: C) => Promise<R> {
  const chain = configure(middy<E, R, Error, C>().use(injectLambdaContext(logger, { clearState: true })));
  return deadlineHandler((event: E, context: C) => chain(event, context));
}
