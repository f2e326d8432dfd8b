/**
 * `npm run mutation`: StrykerJS over the code the service runs (domain, adapters, HTTP layer, handlers).
 * Each mutant runs only the tests that reach it (the vitest runner's per-test coverage), the TypeScript
 * checker drops mutants that do not compile, and the incremental file lets a rerun after a small change
 * test only what changed. `mutation/summarize.ts` turns the report into mutation/summary.md.
 * Not part of `npm test`: a full run takes long on a small machine (see mutation/summary.md).
 */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  typescriptChecker: { prioritizePerformanceOverAccuracy: true },
  mutate: [
    'shared/domain/**/*.ts',
    'shared/adapters/**/*.ts',
    'shared/http/**/*.ts',
    'functions/**/*.ts',
    // Declarations and build-time tools, not run by the service.
    '!shared/http/response-schemas.ts',
    '!shared/http/openapi.ts',
    '!shared/http/write-openapi.ts',
  ],
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'mutation/incremental.json',
  ignoreStatic: true,
  reporters: ['json', 'clear-text', 'progress'],
  jsonReporter: { fileName: 'mutation/report.json' },
  clearTextReporter: { allowColor: false, logTests: false, maxTestsToLog: 0 },
  concurrency: 2,
  timeoutMS: 15_000,
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
