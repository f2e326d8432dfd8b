import { spawnSync } from 'node:child_process';
import { ROOT } from '../infra/paths.js';
import { incrementalFile, mutatePatterns, PART_NAMES, type Part } from './parts.js';
import scope from './scope.json' with { type: 'json' };
import { writeSummary } from './summarize.js';

/**
 * `npm run mutation [-- part …]`: Stryker over each named part of the scope (all of them by default), one
 * after another, each in a sandbox and with an incremental file of its own; mutation/summary.md is written
 * again after each part, so an interrupted run keeps what it finished.
 */
const asked = process.argv.slice(2);
const unknown = asked.filter((name) => !PART_NAMES.includes(name as Part));
if (unknown.length) {
  console.error(`Unknown part(s): ${unknown.join(', ')}. Parts: ${PART_NAMES.join(', ')}.`);
  process.exit(2);
}
const parts = asked.length ? (asked as Part[]) : PART_NAMES;
for (const part of parts) {
  console.log(`\n== mutation part "${part}"`);
  const run = spawnSync(
    'npx',
    [
      'stryker',
      'run',
      '--mutate',
      mutatePatterns(part, scope.mutate).join(','),
      '--incrementalFile',
      incrementalFile(part),
      '--tempDirName',
      `.stryker-tmp/${part}`,
    ],
    { cwd: ROOT, stdio: 'inherit' },
  );
  if (run.status !== 0) {
    console.error(`Stryker failed on part "${part}" (exit ${run.status}).`);
    process.exit(run.status ?? 1);
  }
  console.log(`mutation/summary.md: ${writeSummary()}`);
}
