import { parseArgs } from 'node:util';
import { readStackFile } from './stack-file.js';

/**
 * `npm run audit:verify -- --account A [--integration I] [--json]`: recomputes the audit hash chains of
 * one integration, or of every integration of the account and its settings, and reports the first
 * break of each. Against the stack `npm start` serves when one is running; otherwise against the table
 * TABLE_NAME names, with the AWS credentials of the environment (and the anchor bucket ANCHOR_BUCKET
 * names, if set). Exit code 1 when any trail is broken.
 */
const usage = [
  'Usage: npm run audit:verify -- --account <accountId> [--integration <integrationId>] [--json]',
  '  --account      the account whose audit trail to verify (required)',
  '  --integration  only this integration (default: every integration of the account, and its settings)',
  '  --json         print the reports as JSON, one per line',
  "Runs against `npm start`'s stack if one is running, else against TABLE_NAME with AWS credentials.",
].join('\n');

const { values } = parseArgs({
  options: {
    account: { type: 'string' },
    integration: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const accountId = values.account;
if (!accountId) {
  console.error(`--account is required.\n${usage}`);
  process.exit(2);
}
const stack = readStackFile();
if (stack) Object.assign(process.env, stack.env);
else if (!process.env.TABLE_NAME) {
  console.error('No local stack is running (`npm start`) and TABLE_NAME is not set: nothing to verify.');
  process.exit(2);
}
process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';

const { auditDeps } = await import('../shared/audit-wiring.js');
const { verifyIntegration } = await import('../shared/domain/audit-trail.js');
const { verifyTrail } = await import('../shared/domain/audit-chain.js');
const deps = auditDeps();

async function integrationIds(): Promise<string[]> {
  if (values.integration) return [values.integration];
  const ids: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await deps.store.listIntegrations(accountId as string, { limit: 100, cursor });
    ids.push(...page.items.map((integration) => integration.id));
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return ids;
}

type Line = { scope: string; report: ReturnType<typeof verifyTrail> };
function print({ scope, report }: Line) {
  if (values.json) {
    console.log(JSON.stringify({ scope, ...report }));
    return;
  }
  const size = `${report.events} event(s) in ${report.chains.length} chain(s)${report.unchained ? `, ${report.unchained} from before the chain` : ''}`;
  const anchor = report.anchor
    ? `, anchor of ${report.anchor.at} ${report.anchor.holds ? 'holds' : 'BROKEN'}`
    : '';
  if (!report.break) console.log(`ok      ${scope}: ${size}, head ${report.head.slice(0, 16)}…${anchor}`);
  else {
    const at = report.break.eventId ? ` event ${report.break.eventId}` : '';
    console.log(
      `BROKEN  ${scope}: ${report.break.item}${at}: ${report.break.reason}: ${report.break.message}`,
    );
  }
}

try {
  const lines: Line[] = [];
  for (const integrationId of await integrationIds()) {
    const report = await verifyIntegration(deps, accountId, integrationId);
    if (report.chains.length === 0) {
      console.error(`Integration ${integrationId} not found in account ${accountId}.`);
      process.exit(2);
    }
    lines.push({ scope: integrationId, report });
  }
  if (!values.integration) {
    lines.push({
      scope: 'account settings',
      report: verifyTrail(await deps.chains.accountChains(accountId)),
    });
  }
  for (const line of lines) print(line);
  process.exit(lines.some((line) => line.report.break) ? 1 : 0);
} catch (error) {
  console.error(`Verification failed to run: ${(error as Error).name}: ${(error as Error).message}`);
  process.exit(2);
}
