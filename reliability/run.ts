import { startLocalServer } from '../test/support/local-server.js';
import { runFaults } from './faults.js';
import { hostileRequests } from './hostile.js';
import { findLeaks } from './leaks.js';
import { runLoad } from './load.js';
import { checkModel } from './model.js';
import { raceReveals, raceTarget } from './races.js';
import { hostileTarget, residentMiB } from './targets.js';

/**
 * `npm run reliability`: every guarantee shown with numbers against the real local stack, one summary
 * table at the end, exit 1 if any row fails. `--quick` runs the sizes `npm test` uses.
 */
const quick = process.argv.includes('--quick');
/** `--only=races,faults` runs some parts (model, races, hostile, load, faults). */
const only = process.argv
  .find((arg) => arg.startsWith('--only='))
  ?.slice('--only='.length)
  .split(',');
const runs = (part: string) => !only || only.includes(part);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const rows: { check: string; figure: string; pass: boolean }[] = [];
const row = (check: string, figure: string, pass: boolean) => {
  rows.push({ check, figure, pass });
  console.log(`${pass ? 'ok  ' : 'FAIL'} ${check}: ${figure}`);
};

if (runs('model')) console.log('The reveal protocol, model-checked by spin (shared/domain/reveal.pml)…');
for (const n of runs('model') ? [2, 3, 4] : []) {
  const result = checkModel(n);
  row(
    `model, ${n} requesters`,
    `${result.states} states, ${result.errors} errors`,
    result.errors === 0 && result.states > 0,
  );
}

const server = await startLocalServer({ POWERTOOLS_LOG_LEVEL: 'DEBUG' });
const secrets: string[] = [];
const tokens: string[] = [];
try {
  if (runs('races')) {
    const rounds = quick ? 40 : 1_000;
    console.log(
      `Reveal races through HTTP: ${rounds} rounds of 2 to 64 requesters, 6 users, 3 client processes…`,
    );
    const races = await raceReveals(raceTarget(server, tokens), { rounds, clients: 3, users: 6 });
    secrets.push(...races.secrets);
    row('races: rounds / requests', `${races.rounds} / ${races.requests}`, races.rounds === rounds);
    row('races: double reveals', String(races.doubleReveals), races.doubleReveals === 0);
    row('races: lost secrets', String(races.lostSecrets), races.lostSecrets === 0);
    row('races: 410s not naming the winner', String(races.unnamed410s), races.unnamed410s === 0);
    row('races: audit ≠ one key.revealed', String(races.auditMismatches), races.auditMismatches === 0);
    row('races: other answers', String(races.unexpected), races.unexpected === 0);
  }
  if (runs('hostile')) {
    const count = quick ? 600 : 10_000;
    console.log(`Hostile input: ${count} requests generated from openapi.json…`);
    const target = await hostileTarget(server);
    tokens.push(...Object.values(target.tokens));
    const before = residentMiB(server.child.pid);
    const hostile = await hostileRequests(target, count);
    const after = residentMiB(server.child.pid);
    const health = await fetch(`${server.url}/health`)
      .then((r) => r.status)
      .catch(() => 0);
    row(
      'hostile: requests',
      `${hostile.requests} (${Object.entries(hostile.byStatus)
        .map(([s, n]) => `${s}×${n}`)
        .join(' ')})`,
      hostile.requests === count,
    );
    row('hostile: 5xx', String(hostile.serverErrors), hostile.serverErrors === 0);
    row('hostile: 4xx not in the error shape', String(hostile.badShapes), hostile.badShapes === 0);
    row(
      'hostile: secrets in responses that carry none',
      String(hostile.leakedSecrets),
      hostile.leakedSecrets === 0,
    );
    row(
      'hostile: server up after',
      `GET /health ${health}; memory ${before.toFixed(0)} → ${after.toFixed(0)} MiB`,
      health === 200,
    );
    for (const example of hostile.examples) console.log(`  ${example}`);
  }
} finally {
  await server.interrupt();
}
if (runs('load')) {
  const seconds = quick ? 5 : 60;
  console.log(`Load: ${seconds} s of list, create, reveal, rotate, verify and sign at once (autocannon)…`);
  // The public route's per-integration limit would turn most of this into 429s: lifted for the load run.
  const loaded = await startLocalServer({
    SIGNATURE_CHECK_RATE_PER_SECOND: '10000',
    SIGNATURE_CHECK_BURST: '10000',
    POWERTOOLS_LOG_LEVEL: 'WARN',
  });
  try {
    const load = await runLoad(loaded, seconds);
    console.log('  route                        requests   req/s   p50 ms   p99 ms   errors');
    for (const r of load.rows) {
      console.log(
        `  ${r.route.padEnd(28)} ${String(r.requests).padStart(8)} ${r.perSecond.toFixed(0).padStart(7)} ${String(r.p50).padStart(8)} ${String(r.p99).padStart(8)}   ${(r.errorRate * 100).toFixed(2)}%`,
      );
      row(
        `load: ${r.route}`,
        `${r.perSecond.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, ${(r.errorRate * 100).toFixed(2)}% errors`,
        r.errorRate < 0.01,
      );
    }
    console.log(
      `  connection errors by route: ${JSON.stringify(load.errorsSeen)}; rotations answered 409 (a concurrent rotation won): ${load.rotateConflicts}`,
    );
    row('load: keys revealed more than once', String(load.doubleReveals), load.doubleReveals === 0);
    row(
      'load: audit ≠ actions',
      `${load.auditMismatches} (${load.integrationsCreated} created, ${load.rotations} rotations)`,
      load.auditMismatches === 0,
    );
  } finally {
    await loaded.interrupt();
  }
}

let faultOutput = '';
if (runs('faults')) {
  console.log(
    'Faults: KMS through the stand-in, DynamoDB through a proxy, the process killed at the commit…',
  );
  const faults = await runFaults({
    quick,
    onRow: (r) =>
      console.log(
        `  ${r.pass ? 'ok  ' : 'FAIL'} ${r.fault} during ${r.operation}: ${r.answer}; then ${r.after}`,
      ),
  });
  for (const r of faults.rows)
    row(`fault: ${r.fault} during ${r.operation}`, `${r.answer}; then ${r.after}`, r.pass);
  faultOutput = faults.output;
}

const leaks = findLeaks(
  server.output() + faultOutput,
  secrets,
  tokens.filter((t) => t.length > 20),
);
row(
  'leaks: secrets or tokens in any log line (text, hex, base64, base64url)',
  `${leaks} of ${secrets.length} secrets, ${tokens.length} tokens`,
  leaks === 0,
);

const width = Math.max(...rows.map((r) => r.check.length));
console.log(`\n${'check'.padEnd(width)}  result  figure`);
console.log(`${'-'.repeat(width)}  ------  ------`);
for (const r of rows) console.log(`${r.check.padEnd(width)}  ${r.pass ? 'ok    ' : 'FAIL  '}  ${r.figure}`);
const failed = rows.filter((r) => !r.pass).length;
console.log(failed ? `\n${failed} check(s) failed.` : '\nEvery check passed.');
process.exit(failed ? 1 : 0);
