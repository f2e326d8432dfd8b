import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { STACK_FILE } from './paths.js';

/** What `npm start` leaves for the local commands (`npm run remind`): where its engines listen. */
export interface LocalStack {
  pid: number;
  url: string;
  /** The environment its handlers run with: endpoints, table, topic, fake credentials. No secret. */
  env: Record<string, string>;
}

export function writeStackFile(stack: LocalStack) {
  mkdirSync(dirname(STACK_FILE), { recursive: true });
  writeFileSync(STACK_FILE, `${JSON.stringify(stack, null, 2)}\n`, { mode: 0o600 });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The running local stack, or undefined when none runs (no file, or its process is gone). */
export function readStackFile(): LocalStack | undefined {
  if (!existsSync(STACK_FILE)) return undefined;
  try {
    const stack = JSON.parse(readFileSync(STACK_FILE, 'utf8')) as LocalStack;
    return typeof stack.pid === 'number' && alive(stack.pid) ? stack : undefined;
  } catch {
    return undefined;
  }
}

/**
 * For the local commands that run a job against `npm start` (`remind`, `audit:anchor`): the running
 * stack's environment in this process, or a message saying how to start one and exit code 1.
 */
export function useRunningStack(): LocalStack {
  const stack = readStackFile();
  if (!stack) {
    console.error(
      'No local stack is running: start one with `npm start` (in another terminal), then run this again.',
    );
    process.exit(1);
  }
  Object.assign(process.env, stack.env);
  process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
  return stack;
}
