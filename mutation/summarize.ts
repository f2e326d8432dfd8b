import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../infra/paths.js';

/**
 * Turns Stryker's JSON report (mutation/report.json) into mutation/summary.md: the score of each file,
 * the score of the code the issue holds to 90% — the reveal path, the signing rule, the envelope, identity
 * and access — and every surviving mutant by file:line, with the reason it stays where one is recorded in
 * mutation/accepted.json (`"file:line": "why it is equivalent or not worth a test"`).
 */
type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored';
interface Mutant {
  id: string;
  mutatorName: string;
  replacement?: string;
  status: Status;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}

const REPORT = join(ROOT, 'mutation', 'report.json');
const SUMMARY = join(ROOT, 'mutation', 'summary.md');
const ACCEPTED = join(ROOT, 'mutation', 'accepted.json');

/** Whole files of the 90% group. */
const CRITICAL_FILES = [
  'shared/domain/signature.ts',
  'shared/domain/signing-service.ts',
  'shared/domain/access.ts',
  'shared/domain/secret.ts',
  'shared/adapters/kms-envelope.ts',
  'shared/http/identity.ts',
  'shared/http/signature-middleware.ts',
  'functions/reveal-key.ts',
];
/** The reveal path inside larger files: these functions only. */
const CRITICAL_FUNCTIONS: Record<string, string[]> = {
  'shared/domain/service.ts': ['revealKey', 'notViewable'],
  'shared/adapters/dynamodb/store.ts': ['commitReveal', 'commitRevealOnce'],
};

const report = JSON.parse(readFileSync(REPORT, 'utf8')) as Report;
const accepted: Record<string, string> = existsSync(ACCEPTED)
  ? (JSON.parse(readFileSync(ACCEPTED, 'utf8')) as Record<string, string>)
  : {};

/** Line ranges of the named functions (declarations, methods, object members) in a source file. */
function functionLines(file: string, source: string, names: string[]): [number, number][] {
  const sourceFile = ts.createSourceFile(file, source, ts.ScriptTarget.Latest, true);
  const ranges: [number, number][] = [];
  const line = (pos: number) => sourceFile.getLineAndCharacterOfPosition(pos).line + 1;
  const visit = (node: ts.Node) => {
    const name =
      (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node) || ts.isPropertyAssignment(node)) &&
      node.name &&
      ts.isIdentifier(node.name)
        ? node.name.text
        : undefined;
    if (name && names.includes(name)) ranges.push([line(node.getStart()), line(node.getEnd())]);
    ts.forEachChild(node, visit);
  };
  visit(sourceFile);
  return ranges;
}

const DETECTED: Status[] = ['Killed', 'Timeout'];
const UNDETECTED: Status[] = ['Survived', 'NoCoverage'];
const score = (mutants: Mutant[]) => {
  const detected = mutants.filter((m) => DETECTED.includes(m.status)).length;
  const valid = detected + mutants.filter((m) => UNDETECTED.includes(m.status)).length;
  return { detected, valid, score: valid ? (100 * detected) / valid : 100 };
};
const pct = (value: number) => `${value.toFixed(1)}%`;
/** A scope's row: its score against its target, or that this report has no mutant of it. */
const row = (name: string, target: number, found: ReturnType<typeof score>) =>
  found.valid === 0
    ? `| ${name} | ≥ ${target}% | — | not run in this report |`
    : `| ${name} | ≥ ${target}% | ${found.detected} / ${found.valid} | ${pct(found.score)}${found.score >= target ? '' : ' **below**'} |`;

const files = Object.entries(report.files)
  .map(([path, file]) => [path.replace(`${ROOT}/`, ''), file] as const)
  .sort(([a], [b]) => (a < b ? -1 : 1));
const critical: Mutant[] = [];
const rest: Mutant[] = [];
for (const [path, file] of files) {
  const ranges = CRITICAL_FUNCTIONS[path] ? functionLines(path, file.source, CRITICAL_FUNCTIONS[path]) : [];
  for (const mutant of file.mutants) {
    const line = mutant.location.start.line;
    const inCritical =
      CRITICAL_FILES.includes(path) || ranges.some(([from, to]) => line >= from && line <= to);
    (inCritical ? critical : rest).push(mutant);
  }
}
const all = files.flatMap(([, file]) => file.mutants);
const criticalScore = score(critical);
const restScore = score(rest);

const lines = [
  '# Mutation testing summary',
  '',
  `Written by \`npm run mutation\` (StrykerJS, vitest runner, TypeScript checker) on ${new Date().toISOString().slice(0, 10)},`,
  `over ${files.length} file(s): ${files.map(([path]) => `\`${path}\``).join(', ')}. Detected = killed or timed out;`,
  'valid = detected, survived or reached by no test (compile errors, caught by the checker, do not count).',
  '',
  '| scope | target | detected / valid | score |',
  '|---|---|---|---|',
  row('reveal path, signing rule, envelope, identity and access', 90, criticalScore),
  row('everything else in scope', 80, restScore),
  `| all | | ${score(all).detected} / ${score(all).valid} | ${pct(score(all).score)} |`,
  '',
  '## Per file',
  '',
  '| file | killed | timeout | survived | no coverage | compile errors | score |',
  '|---|---|---|---|---|---|---|',
  ...files.map(([path, file]) => {
    const count = (status: Status) => file.mutants.filter((m) => m.status === status).length;
    return `| ${path} | ${count('Killed')} | ${count('Timeout')} | ${count('Survived')} | ${count('NoCoverage')} | ${count('CompileError')} | ${pct(score(file.mutants).score)} |`;
  }),
  '',
  '## Surviving mutants',
  '',
  'Each is either killed by a new test or kept here with the reason (mutation/accepted.json).',
  '',
  ...files.flatMap(([path, file]) =>
    file.mutants
      .filter((m) => UNDETECTED.includes(m.status))
      .sort((a, b) => a.location.start.line - b.location.start.line)
      .map((m) => {
        const where = `${path}:${m.location.start.line}`;
        const replacement = (m.replacement ?? '').replace(/\s+/g, ' ').slice(0, 80).replace(/\|/g, '\\|');
        const reason = accepted[where] ? ` — accepted: ${accepted[where]}` : '';
        return `- \`${where}\` ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no test reaches it)' : ''}: \`${replacement}\`${reason}`;
      }),
  ),
  '',
];
writeFileSync(SUMMARY, lines.join('\n'));
console.log(
  `mutation/summary.md: critical ${criticalScore.valid ? pct(criticalScore.score) : 'not run'} (target 90%), rest ${restScore.valid ? pct(restScore.score) : 'not run'} (target 80%), ${all.length} mutants.`,
);
