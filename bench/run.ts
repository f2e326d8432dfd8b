import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUDGETS } from './budgets.js';
import { bundleAll, ROOT } from './bundles.js';
import { measureInit } from './init.js';
import { measureOperations } from './operations.js';
import { PRICES } from './prices.js';
import { measureWarmVerify } from './verify.js';

/**
 * `npm run bench`: bundle size, init time, warm verification cost and AWS cost per operation, printed
 * as tables, written to bench/history.json, and compared with the last committed run.
 * `npm run bench -- --check` exits 1 when a budget is exceeded. Figures only: tests never assert time.
 */
const check = process.argv.includes('--check');
/** `--node=<path>` times module init with another Node.js binary (say, Lambda's major version). */
const nodeBinary = process.argv.find((arg) => arg.startsWith('--node='))?.slice('--node='.length);
// The bench runs on the local Node; the SDK's notice about its future Node 22 floor is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const HISTORY = join(ROOT, 'bench', 'history.json');
type Figures = Record<string, number>;
type History = { runs: { date: string; commit: string; figures: Figures }[] };

function lastCommitted(): Figures {
  try {
    const text = execFileSync('git', ['show', 'HEAD:bench/history.json'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const history = JSON.parse(text.toString()) as History;
    return history.runs.at(-1)?.figures ?? {};
  } catch {
    return {};
  }
}

const previous = lastCommitted();
const figures: Figures = {};
const failures: string[] = [];

function delta(key: string, value: number): string {
  const before = previous[key];
  if (before === undefined || before === 0) return '';
  const change = ((value - before) / before) * 100;
  if (Math.abs(change) < 0.5) return ' (=)';
  return ` (${change > 0 ? '+' : ''}${change.toFixed(1)}%)`;
}

function table(headers: string[], rows: string[][]) {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join('  ');
  console.log(line(headers));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of rows) console.log(line(row));
  console.log('');
}

function record(key: string, value: number, format: (v: number) => string, budget?: number): string {
  figures[key] = Number(value.toFixed(4));
  const over = budget !== undefined && value > budget;
  if (over) failures.push(`${key} = ${format(value)} exceeds the budget of ${format(budget)}`);
  return `${format(value)}${delta(key, value)}${over ? ' OVER' : ''}`;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
const ms = (value: number) => `${value.toFixed(1)} ms`;
const usd = (value: number) => `$${value.toFixed(2)}`;

console.log('Bundling every function as deployed (infra/bundling.ts)…');
const bundles = await bundleAll();
// The issue asks for at least 15; more samples steady a median taken on a shared 2-core machine.
const INIT_RUNS = 21;
console.log(`Timing module init over ${INIT_RUNS} fresh node processes each, against an empty node start…\n`);
const init = measureInit(bundles, INIT_RUNS, nodeBinary);
if (nodeBinary) {
  const version = execFileSync(nodeBinary, ['--version']).toString().trim();
  console.log(`(init timed with ${nodeBinary}, ${version}: a comparison, not written to the history)\n`);
}

console.log('Functions');
table(
  ['function', 'bundle', 'init above empty node', 'largest contributors'],
  bundles.map((b) => [
    b.handler,
    record(
      `bundle:${b.handler}`,
      b.bytes,
      kib,
      (b.usesKms ? BUDGETS.bundleKiB : BUDGETS.bundleWithoutKmsKiB) * 1024,
    ),
    record(`init:${b.handler}`, init.get(b.handler) ?? 0, ms, BUDGETS.initMs),
    b.top.map(([name, bytes]) => `${name} ${kib(bytes)}`).join(', '),
  ]),
);

console.log('Warm verification, in process, store read excluded');
const warm = await measureWarmVerify();
table(
  ['body', 'verify', 'raw createHmac + timingSafeEqual', 'ratio'],
  [
    [
      `${warm.bodyBytes} B`,
      `${warm.oursUs.toFixed(2)} µs`,
      `${warm.rawUs.toFixed(2)} µs`,
      record('verify:warm-ratio', warm.ratio, (v) => `${v.toFixed(2)}×`, BUDGETS.warmVerifyRatio),
    ],
  ],
);

console.log('Scripted run against the local stack (DynamoDB Local + KMS stand-in), per operation');
const { operations, kmsPer1000Warm } = await measureOperations();
table(
  [
    'operation',
    'n',
    'DDB reads (RU)',
    'DDB writes (WU)',
    'DDB calls',
    'KMS calls',
    'Lambda',
    'API GW',
    'median',
    '$ / million',
  ],
  operations.map((op) => [
    op.name,
    String(op.samples),
    op.readUnits.toFixed(2),
    op.writeUnits.toFixed(2),
    op.dynamoCalls.toFixed(2),
    op.kmsCalls.toFixed(3),
    String(op.lambdaRequests),
    String(op.apiRequests),
    ms(op.medianMs),
    record(`cost:${op.name}`, op.dollarsPerMillion, usd, BUDGETS.dollarsPerMillion[op.name]),
  ]),
);
const warmOp = operations.find((op) => op.name === 'verify (warm)');
console.log(
  `KMS calls per 1,000 warm verifications: ${record('verify:kms-per-1000-warm', kmsPer1000Warm, String, BUDGETS.warmVerifyKmsCalls)}` +
    ` (plus one per key per cache period, on the first request); DynamoDB reads per warm verification: ${record(
      'verify:dynamo-calls-warm',
      warmOp?.dynamoCalls ?? 0,
      (v) => v.toFixed(3),
      BUDGETS.warmVerifyDynamoReads,
    )}`,
);
console.log(
  `Prices: ${PRICES.region}, checked ${PRICES.checkedOn}. Lambda time is this machine's median handler time against local ` +
    "engines at each function's deployed memory, so treat GB-seconds as an estimate; request, DynamoDB and KMS counts " +
    'are exact for the scripted run.\n',
);

const history: History = existsSync(HISTORY)
  ? (JSON.parse(readFileSync(HISTORY, 'utf8')) as History)
  : { runs: [] };
let commit = 'uncommitted';
try {
  commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim();
} catch {
  // not a git checkout
}
if (nodeBinary) {
  console.log('Figures not written to bench/history.json: init was timed with another Node.js.');
} else {
  history.runs.push({ date: new Date().toISOString(), commit, figures });
  history.runs = history.runs.slice(-20);
  writeFileSync(HISTORY, `${JSON.stringify(history, null, 2)}\n`);
  console.log(`Figures written to bench/history.json (changes shown against the last committed run).`);
}

if (failures.length > 0) {
  console.log(`\n${failures.length} budget(s) exceeded:\n  ${failures.join('\n  ')}`);
  if (check) process.exit(1);
} else {
  console.log('\nAll budgets met.');
}
