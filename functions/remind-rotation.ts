import { runReminders } from '../shared/domain/reminders.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { logger } from '../shared/http/logger.js';
import { reminderDeps } from '../shared/job-wiring.js';

const deps = reminderDeps();

/**
 * The daily rotation reminder, run by an EventBridge Scheduler schedule. Its input is ignored: the run
 * reads the due index from where the last one stopped. It logs counts, never a key's name or hint.
 */
export const handler = lambdaHandler<unknown, { notices: number; read: number; failed: number }>((chain) =>
  chain.handler(async (_event, context) => {
    const run = await runReminders(deps, context.awsRequestId);
    const summary = {
      days: run.days.length,
      read: run.read,
      notices: run.notices.length,
      failed: run.failed,
    };
    logger.info('rotation reminders', summary);
    // A failure leaves the keys in the index for the next run; failing the invocation would only make
    // the scheduler retry what the conditional writes already decided.
    return { notices: run.notices.length, read: run.read, failed: run.failed };
  }),
);
