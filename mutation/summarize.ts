import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { ROOT } from '../infra/paths.js';
import { CRITICAL_FUNCTIONS, incrementalFile, PART_NAMES, PARTS } from './parts.js';

/**
 * Turns the parts' results (mutation/incremental/<part>.json, Stryker's own reports) into mutation/summary.md:
 * the score of the code the issue holds to 90% — the reveal path, the signing rule, the envelope, identity
 * and access — and of the rest (80%), each file's, and every mutant left alive by file:line. A mutant that
 * cannot be killed because it changes nothing observable is marked in the source with Stryker's own
 * `// Stryker disable next-line <Mutator>: <why>`; it is listed with that reason and does not count. A file
 * changed since its part ran is marked stale: its figures are of the older source.
 */
type Status = 'Killed' | 'Survived' | 'NoCoverage' | 'Timeout' | 'CompileError' | 'RuntimeError' | 'Ignored';
interface Mutant {
  mutatorName: string;
  replacement?: string;
  status: Status;
  statusReason?: string;
  location: { start: { line: number; column: number } };
}
interface Report {
  files: Record<string, { source: string; mutants: Mutant[] }>;
}
interface FileResult {
  path: string;
  part: string;
  stale: boolean;
  mutants: Mutant[];
  criticalLines: (line: number) => boolean;
}

const SUMMARY = join(ROOT, 'mutation', 'summary.md');
const CRITICAL_FILES: readonly string[] = PARTS.critical;

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
/** Stryker's `ignoreStatic`: a mutant reached only while a module loads is not run (each would need a fresh load). */
const isStatic = (m: Mutant) => m.status === 'Ignored' && (m.statusReason ?? '').startsWith('Static mutant');
const isEquivalent = (m: Mutant) => m.status === 'Ignored' && !isStatic(m);
const pct = (value: number) => `${value.toFixed(1)}%`;
const oneLine = (text: string, max: number) => text.replace(/\s+/g, ' ').slice(0, max).replace(/\|/g, '\\|');

function readParts(): { files: FileResult[]; notRun: string[] } {
  const ran = PART_NAMES.filter((part) => existsSync(join(ROOT, incrementalFile(part))));
  const files = ran.flatMap((part) => {
    const report = JSON.parse(readFileSync(join(ROOT, incrementalFile(part)), 'utf8')) as Report;
    return Object.entries(report.files).map(([reported, file]): FileResult => {
      const path = reported.replace(`${ROOT}/`, '');
      const current = join(ROOT, path);
      const stale = !existsSync(current) || readFileSync(current, 'utf8') !== file.source;
      const names = CRITICAL_FUNCTIONS[path];
      const ranges = names ? functionLines(path, file.source, names) : [];
      const criticalLines = (line: number) =>
        CRITICAL_FILES.includes(path) || ranges.some(([from, to]) => line >= from && line <= to);
      return { path, part, stale, mutants: file.mutants, criticalLines };
    });
  });
  files.sort((a, b) => (a.path < b.path ? -1 : 1));
  return { files, notRun: PART_NAMES.filter((part) => !ran.includes(part)) };
}

/** Writes mutation/summary.md from the parts run so far and returns its gist. */
export function writeSummary(): string {
  const { files, notRun } = readParts();
  const critical = files.flatMap((f) => f.mutants.filter((m) => f.criticalLines(m.location.start.line)));
  const rest = files.flatMap((f) => f.mutants.filter((m) => !f.criticalLines(m.location.start.line)));
  const all = files.flatMap((f) => f.mutants);
  const row = (name: string, target: number | undefined, mutants: Mutant[], complete: boolean) => {
    const found = score(mutants);
    if (found.valid === 0) return `| ${name} | ${target ? `≥ ${target}%` : ''} | — | not run yet |`;
    const verdict =
      target === undefined ? '' : found.score >= target ? (complete ? ' met' : '') : ' **below**';
    const partial = complete ? '' : ' (parts not run yet)';
    return `| ${name} | ${target ? `≥ ${target}%` : ''} | ${found.detected} / ${found.valid} | ${pct(found.score)}${verdict}${partial} |`;
  };
  const criticalComplete = !notRun.some((part) => ['critical', 'service', 'store'].includes(part));
  const stale = files.filter((f) => f.stale).map((f) => `\`${f.path}\``);
  const count = (mutants: Mutant[], status: Status) => mutants.filter((m) => m.status === status).length;
  const survivors = files.flatMap((f) =>
    f.mutants
      .filter((m) => UNDETECTED.includes(m.status))
      .sort((a, b) => a.location.start.line - b.location.start.line)
      .map(
        (m) =>
          `- \`${f.path}:${m.location.start.line}\` ${m.mutatorName}${m.status === 'NoCoverage' ? ' (no test reaches it)' : ''}: \`${oneLine(m.replacement ?? '', 80)}\``,
      ),
  );
  const lines = [
    '# Mutation testing summary',
    '',
    `Written by \`npm run mutation\` (StrykerJS, vitest runner, TypeScript checker, mutation/run.ts) on ${new Date().toISOString().slice(0, 10)}.`,
    `Parts run: ${PART_NAMES.filter((p) => !notRun.includes(p)).join(', ') || 'none'}; not run yet: ${notRun.join(', ') || 'none'}.`,
    'Detected = killed or timed out; valid = detected, survived or reached by no test. Not counted: compile errors',
    '(caught by the TypeScript checker), mutants marked in the source (listed below, each with its reason),',
    'and static mutants — reached only while a module loads, which Stryker skips under `ignoreStatic`.',
    ...(stale.length
      ? ['', `Stale (changed since their part ran; rerun to refresh): ${stale.join(', ')}.`]
      : []),
    '',
    '| scope | target | detected / valid | score |',
    '|---|---|---|---|',
    row('reveal path, signing rule, envelope, identity and access', 90, critical, criticalComplete),
    row('everything else in scope', 80, rest, notRun.length === 0),
    row('all', undefined, all, notRun.length === 0),
    '',
    '## Per file',
    '',
    '| file | part | killed | timeout | survived | no coverage | equivalent | static | compile errors | score |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...files.map(
      (f) =>
        `| ${f.path}${f.stale ? ' (stale)' : ''} | ${f.part} | ${count(f.mutants, 'Killed')} | ${count(f.mutants, 'Timeout')} | ${count(f.mutants, 'Survived')} | ${count(f.mutants, 'NoCoverage')} | ${f.mutants.filter(isEquivalent).length} | ${f.mutants.filter(isStatic).length} | ${count(f.mutants, 'CompileError')} | ${pct(score(f.mutants).score)} |`,
    ),
    '',
    '## Surviving mutants',
    '',
    'Each is to be killed by a new test, or shown equivalent and marked so in the source.',
    '',
    ...(survivors.length ? survivors : ['None: every valid mutant is detected.']),
    '',
    '## Marked in the source (the reason, from the source)',
    '',
    'Each is equivalent (changes nothing a test, or a caller, can observe) or, where its reason says so, detected',
    'in a way Stryker cannot count.',
    '',
    ...files.flatMap((f) =>
      f.mutants
        .filter(isEquivalent)
        .sort((a, b) => a.location.start.line - b.location.start.line)
        .map(
          (m) =>
            `- \`${f.path}:${m.location.start.line}\` ${m.mutatorName}: ${oneLine(m.statusReason ?? '', 200)}`,
        ),
    ),
    '',
  ];
  writeFileSync(SUMMARY, lines.join('\n'));
  const gist = `critical ${score(critical).valid ? pct(score(critical).score) : 'not run'} (target 90%), rest ${score(rest).valid ? pct(score(rest).score) : 'not run'} (target 80%), ${all.length} mutants; not run yet: ${notRun.join(', ') || 'none'}.`;
  return gist;
}

if (process.argv[1] === import.meta.filename) console.log(`mutation/summary.md: ${writeSummary()}`);
