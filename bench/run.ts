import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../infra/paths.js';
import { BUDGETS } from './budgets.js';
import { bundleAll, bundleFloors } from './bundles.js';
import { measureDashboard } from './dashboard.js';
import { DEPLOYED_NODE_OPTIONS, measureInit } from './init.js';
import { node24 } from './node24.js';
import { measureOperations } from './operations.js';
import { PRICES } from './prices.js';
import { measureCachedVerification, PARTITION_READ_UNITS, scaleModel } from './scale.js';
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

console.log('Bundling every function as deployed (infra/bundling.ts), its SDK floor and its peer…');
const bundles = await bundleAll();
const floors = await bundleFloors(bundles);
// The issue asks for at least 15; more samples steady a median taken on a shared 2-core machine.
const INIT_RUNS = 21;
/** Every function, every floor and every peer, each sampled side by side in one interleaved run. */
const initTargets = [
  ...bundles.map((b) => ({ handler: b.handler, file: b.file, sourceMaps: b.sourceMaps })),
  ...bundles.map((b) => ({ handler: `peer:${b.handler}`, file: b.peerFile })),
  ...Object.entries(floors).map(([floor, { file }]) => ({ handler: `floor:${floor}`, file })),
];
console.log(`Timing module init over ${INIT_RUNS} fresh node processes each, against an empty node start…`);
const init = measureInit(initTargets, INIT_RUNS, nodeBinary);
const lambdaNode = nodeBinary ? undefined : node24();
const init24 = lambdaNode ? measureInit(initTargets, 11, lambdaNode) : undefined;
const version = (binary: string) => execFileSync(binary, ['--version']).toString().trim();
console.log(
  `Init with ${nodeBinary ? `${nodeBinary} (${version(nodeBinary)}), a comparison not written to the history` : `this machine's ${process.version} (the budgets' basis)`}` +
    (lambdaNode
      ? `; Node ${version(lambdaNode)} (Lambda's runtime) printed beside it, 11 runs`
      : '; Node 24 not available') +
    '.\n',
);

console.log(
  'Functions (floor: a bundle that only constructs the same SDK clients; peer: NodejsFunction defaults)',
);
const at = (map: Map<string, number> | undefined, key: string) => map?.get(key) ?? 0;
table(
  [
    'function',
    'bundle',
    'floor bundle',
    'init',
    'floor init',
    'peer init',
    'init, Node 24 (floor / peer)',
    'largest contributors',
  ],
  bundles.map((b) => {
    const floor = floors[b.floor] ?? { bytes: 0, file: '' };
    const floorInit = at(init, `floor:${b.floor}`);
    const peerInit = at(init, `peer:${b.handler}`);
    const initValue = at(init, b.handler);
    // Both init budgets at once: the tighter one is the one shown.
    const initBudget = Math.min(floorInit + BUDGETS.initAboveFloorMs, BUDGETS.initVsPeer * peerInit);
    return [
      b.handler,
      record(`bundle:${b.handler}`, b.bytes, kib, floor.bytes + BUDGETS.bundleAboveFloorKiB * 1024),
      kib(floor.bytes),
      record(`init:${b.handler}`, initValue, ms, b.floor === 'none' ? undefined : initBudget),
      ms(floorInit),
      ms(peerInit),
      init24
        ? `${ms(at(init24, b.handler))} (${ms(at(init24, `floor:${b.floor}`))} / ${ms(at(init24, `peer:${b.handler}`))})`
        : 'n/a',
      b.top.map(([name, bytes]) => `${name} ${kib(bytes)}`).join(', '),
    ];
  }),
);
// What --enable-source-maps (set on every deployed function) costs at init: the same bundles timed
// without it, fewer runs.
const functionTargets = bundles.map((b) => ({ handler: b.handler, file: b.file }));
const withoutMaps = measureInit(functionTargets, 9, nodeBinary, false);
console.log(
  `Source maps: init with ${DEPLOYED_NODE_OPTIONS} (as deployed) against the same bundle without it, 9 runs`,
);
table(
  ['function', 'init as deployed', 'without source maps', 'cost'],
  bundles.map((b) => {
    const cost = at(init, b.handler) - at(withoutMaps, b.handler);
    if (!b.sourceMaps) return [b.handler, 'off (hot path)', ms(at(withoutMaps, b.handler)), '—'];
    figures[`source-maps:${b.handler}`] = Number(cost.toFixed(4));
    return [b.handler, ms(at(init, b.handler)), ms(at(withoutMaps, b.handler)), ms(cost)];
  }),
);
for (const [floor, { bytes }] of Object.entries(floors)) figures[`floor-bundle:${floor}`] = bytes;
for (const floor of Object.keys(floors))
  figures[`floor-init:${floor}`] = Number(at(init, `floor:${floor}`).toFixed(4));
for (const b of bundles) figures[`peer-init:${b.handler}`] = Number(at(init, `peer:${b.handler}`).toFixed(4));
console.log(
  `The dashboard handlers' own JWT check (aws-jwt-verify) alone: bundle ${kib(floors.jwt?.bytes ?? 0)}, init ${ms(at(init, 'floor:jwt'))}` +
    (init24 ? ` (Node 24: ${ms(at(init24, 'floor:jwt'))})` : '') +
    '; the JWKS is fetched once per container, on its first request.',
);
console.log(
  `Budgets: bundle ≤ floor + ${BUDGETS.bundleAboveFloorKiB} KiB; init ≤ floor + ${BUDGETS.initAboveFloorMs} ms and ≤ ${BUDGETS.initVsPeer} × peer (functions with no AWS client have no floor to meet).\n`,
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

console.log(
  'The dashboard, in Debian Chromium (first render = navigation start to the sign-in page drawn, median of 7)',
);
const dashboard = await measureDashboard();
table(
  ['what', 'figure', 'budget'],
  [
    [
      'JS gzipped',
      record('dashboard:js-gzip', dashboard.jsGzipBytes, kib, BUDGETS.dashboardJsGzipKiB * 1024),
      kib(BUDGETS.dashboardJsGzipKiB * 1024),
    ],
    ['CSS gzipped', record('dashboard:css-gzip', dashboard.cssGzipBytes, kib), '—'],
    [
      'first render',
      record('dashboard:first-render', dashboard.firstRenderMs, ms, BUDGETS.dashboardFirstRenderMs),
      ms(BUDGETS.dashboardFirstRenderMs),
    ],
  ],
);

console.log('Scale: one integration, verifications spread over the containers Lambda runs for it');
const handlerMs = warmOp?.medianMs ?? 1;
const periodMs = 1_000;
table(
  [
    'verifications/s',
    'containers',
    'credential reads/s (cache 1 s)',
    'fits one partition',
    'reads/s without cache',
    'fits',
    '$ / million',
  ],
  scaleModel(handlerMs, periodMs, 256).map((row) => [
    row.rate.toLocaleString('en-US'),
    String(row.containers),
    record(`scale:reads-per-second:${row.rate}`, row.readsPerSecond, (v) => v.toFixed(0)),
    row.fits ? 'yes' : 'NO',
    row.readsPerSecondUncached.toLocaleString('en-US'),
    row.fitsUncached ? 'yes' : `no (> ${PARTITION_READ_UNITS.toLocaleString('en-US')} RU/s)`,
    record(`scale:dollars:${row.rate}`, row.dollarsPerMillion, usd),
  ]),
);
console.log(
  `Containers = rate × ${handlerMs.toFixed(2)} ms (the warm verification's measured handler time); a partition serves ${PARTITION_READ_UNITS.toLocaleString('en-US')} strongly consistent reads/s.`,
);
console.log('Measured: 20 concurrent verifiers of one integration for 10 s, in process, cache on (1 s)…');
const measured = await measureCachedVerification({ workers: 20, seconds: 10, periodMs });
console.log(
  `  ${measured.verifications.toLocaleString('en-US')} verifications (${measured.failures} rejected), ${measured.reads} credential reads → ` +
    `${record('scale:measured-reads-per-verification', measured.readsPerVerification, (v) => v.toFixed(5))} reads per verification\n`,
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
