import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../infra/paths.js';

export const MODEL = join(ROOT, 'shared', 'domain', 'reveal.pml');

export interface ModelResult {
  requesters: number;
  states: number;
  errors: number;
  output: string;
}

/**
 * The reveal protocol's Promela model (shared/domain/reveal.pml), checked exhaustively by spin for N
 * requesters: spin writes the verifier (pan.c), gcc builds it, and it explores every interleaving.
 */
export function checkModel(requesters: number, model = MODEL): ModelResult {
  const dir = mkdtempSync(join(tmpdir(), 'ssk-spin-'));
  try {
    execFileSync('spin', ['-a', `-DN=${requesters}`, model], { cwd: dir, stdio: 'pipe' });
    execFileSync('gcc', ['-O2', '-DSAFETY', '-o', 'pan', 'pan.c'], { cwd: dir, stdio: 'pipe' });
    let output: string;
    try {
      output = execFileSync('./pan', ['-m1000000'], { cwd: dir, stdio: 'pipe' }).toString();
    } catch (error) {
      output = String((error as { stdout?: Buffer }).stdout ?? error);
    }
    const errors = Number(/errors: (\d+)/.exec(output)?.[1] ?? -1);
    const states = Number(/(\d+) states, stored/.exec(output)?.[1] ?? 0);
    return { requesters, states, errors, output };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
