import { parseArgs } from 'node:util';
import { useRunningStack } from './stack-file.js';

/**
 * `npm run audit:anchor`: the daily anchor job, run once against the stack `npm start` serves, with the
 * job's own code and wiring: every integration's trail is verified and its heads written to the local
 * S3 stand-in's anchor bucket (locked like Object Lock's compliance mode). `npm run audit:verify` and
 * `GET …/audit/verify` then compare each trail with its last anchor.
 */
const { values } = parseArgs({ options: { help: { type: 'boolean', short: 'h' } } });
if (values.help) {
  console.log('Usage: npm run audit:anchor   (with `npm start` running in another terminal)');
  process.exit(0);
}
useRunningStack();

const { anchorDeps } = await import('../shared/audit-wiring.js');
const { anchorTrails } = await import('../shared/domain/audit-trail.js');
try {
  const deps = anchorDeps();
  const run = await anchorTrails(deps, deps.integrations());
  for (const broken of run.broken) {
    console.log(
      `not anchored: ${broken.accountId}/${broken.integrationId}: ${broken.item}: ${broken.reason}`,
    );
  }
  console.log(
    `Anchored ${run.anchored} audit trail(s)${run.broken.length ? `; ${run.broken.length} broken, not anchored` : ''}.`,
  );
  process.exit(run.broken.length ? 1 : 0);
} catch (error) {
  console.error(`The anchor run failed: ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(1);
}
