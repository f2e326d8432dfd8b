import { join } from 'node:path';

/** The project's root folder, for the tooling that builds, runs or measures it (CDK app, local runtime, bench). */
export const ROOT = join(import.meta.dirname, '..');
