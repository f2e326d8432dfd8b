import { defineConfig } from 'vitest/config';

/**
 * The tests mutation testing runs (stryker.config.mjs): those that execute the service's code in the
 * test process, where Stryker can switch mutants on — the unit and connected tiers, against DynamoDB
 * Local and the KMS stand-in. The end-to-end tier runs the code in a server process of its own (which
 * would run unmutated), and the bundle test rebuilds the sources with esbuild; both stay in `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/connected/**/*.test.ts'],
    exclude: ['test/connected/bundle.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    allowOnly: false,
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
