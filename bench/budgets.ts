/**
 * The budgets `npm run bench -- --check` enforces (issue #9). Init and bundle size are set against the
 * SDK's own floor, measured beside every function in the same run: what is ours to win is what we add
 * above the official clients, and how much better we do than the CDK's default bundling (the peer).
 */
export const BUDGETS = {
  /** init ≤ SDK floor + this (ms above an empty node start). */
  initAboveFloorMs: 20,
  /** init ≤ this × the peer's init (the same handler as NodejsFunction bundles it by default). */
  initVsPeer: 0.75,
  /** bundle ≤ SDK floor + this. */
  bundleAboveFloorKiB: 80,
  warmVerifyRatio: 3,
  /** The dashboard (issue #12): its JS gzipped, and its first render in Chromium on this machine. */
  dashboardJsGzipKiB: 60,
  dashboardFirstRenderMs: 300,
  warmVerifyKmsCalls: 0,
  warmVerifyDynamoReads: 1,
  dollarsPerMillion: {
    'verify (warm)': 1.5,
    reveal: 5.5,
    'create key': 7.0,
    'list keys': 1.4,
  } as Record<string, number>,
};
