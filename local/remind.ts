import { parseArgs } from 'node:util';
import { useRunningStack } from './stack-file.js';

/**
 * `npm run remind [-- --now 2027-03-01T09:00:00Z]`: the daily rotation reminder, run once against the
 * stack `npm start` serves, with the job's own code and wiring. Prints each notification it sends; they
 * (and the lifecycle events) also land in the outbox `npm start` prints from.
 */
const usage = [
  'Usage: npm run remind [-- --now <ISO time>]',
  '  --now   run as if it were this time (default: now), e.g. 2027-03-01T09:00:00Z',
].join('\n');

const { values } = parseArgs({
  options: { now: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const now = values.now === undefined ? new Date() : new Date(values.now);
if (Number.isNaN(now.getTime())) {
  console.error(`--now must be an ISO date-time like 2027-03-01T09:00:00Z; got "${values.now}".\n${usage}`);
  process.exit(2);
}
useRunningStack();

const { reminderDeps } = await import('../shared/job-wiring.js');
const { runReminders } = await import('../shared/domain/reminders.js');
try {
  const run = await runReminders({ ...reminderDeps(), clock: { now: () => now } });
  for (const notice of run.notices) {
    console.log(`To account ${notice.accountId}: ${notice.subject}\n\n${notice.text}\n`);
  }
  console.log(
    `Rotation reminder at ${now.toISOString()}: read ${run.days.length} day(s) of the due index, ${run.read} key(s) found, ${run.notices.length} notification(s) sent${run.failed ? `, ${run.failed} key(s) failed (left for the next run)` : ''}.`,
  );
  process.exit(run.failed ? 1 : 0);
} catch (error) {
  console.error(`The reminder run failed: ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
}
