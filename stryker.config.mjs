import { readFileSync } from 'node:fs';

const scope = JSON.parse(readFileSync(new URL('./mutation/scope.json', import.meta.url), 'utf8'));

/**
 * `npm run mutation`: StrykerJS over the code the service runs (domain, adapters, HTTP layer, handlers).
 * Each mutant runs only the tests that reach it (the vitest runner's per-test coverage), the TypeScript
 * checker drops mutants that do not compile, and the incremental file lets a rerun after a small change
 * test only what changed. `mutation/summarize.ts` turns the parts' results into mutation/summary.md.
 * Not part of `npm test`: a full run takes long on a small machine (see mutation/summary.md).
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  // The mutated code and what it imports only: the checker re-checks the program per mutant, and the CDK
  // app's and the tests' types would triple its work without telling it anything about a mutant.
  tsconfigFile: 'tsconfig.mutation.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  // The code the service runs; declarations and build-time tools (response schemas, OpenAPI writer) are left out.
  mutate: scope.mutate,
  coverageAnalysis: 'perTest',
  incremental: true,
  // `npm run mutation` (mutation/run.ts) runs the scope in parts, each with its own incremental file in
  // mutation/incremental/; a plain `npx stryker run` keeps a scratch one.
  incrementalFile: '.stryker-tmp/incremental.json',
  ignoreStatic: true,
  // The incremental files are the reports mutation/summarize.ts reads.
  reporters: ['clear-text', 'progress'],
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  concurrency: 2,
  timeoutMS: 15_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
