import { join } from 'node:path';
import { ROOT } from '../infra/paths.js';

/**
 * The local runtime's own folder (git-ignored): DynamoDB Local, the dev token key, the outbox and the
 * running stack's address. LOCAL_DIR moves it, so two local stacks (tests run several) stay apart.
 */
export const LOCAL_DIR = process.env.LOCAL_DIR || join(ROOT, '.local');
export const OUTBOX_FILE = join(LOCAL_DIR, 'outbox.jsonl');
/** Written by `npm start` while it serves, read by `npm run remind`. */
export const STACK_FILE = join(LOCAL_DIR, 'stack.json');
/** Lifecycle events the local stream reader gave up on (the deployed consumer's dead-letter queue). */
export const STREAM_FAILURES_FILE = join(LOCAL_DIR, 'lifecycle-failures.jsonl');
