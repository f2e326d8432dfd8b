/** The budgets `npm run bench -- --check` enforces (issue #5). Sizes are KiB of minified ESM. */
export const BUDGETS = {
  bundleKiB: 400,
  bundleWithoutKmsKiB: 350,
  initMs: 60,
  warmVerifyRatio: 3,
  warmVerifyKmsCalls: 0,
  warmVerifyDynamoReads: 1,
  dollarsPerMillion: {
    'verify (warm)': 1.5,
    reveal: 5.5,
    'create key': 7.0,
    'list keys': 1.4,
  } as Record<string, number>,
};
