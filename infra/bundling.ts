/**
 * How every function is bundled: used by the CDK function construct and by the benchmark, so what the
 * benchmark measures is what is deployed.
 */
export const BUNDLE = {
  format: 'esm',
  platform: 'node',
  target: 'node24',
  // ESM builds of the AWS packages tree-shake; the CommonJS ones (esbuild's default for node) do not.
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: true,
  // Some CommonJS inside the bundle still calls require() for Node built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // Relative to the project root, where esbuild runs. See each file for why.
  alias: {
    'node:stream/web': './shared/runtime/stream-web.ts',
    '@aws-sdk/credential-provider-node': './shared/runtime/lambda-credentials.ts',
  },
} as const;
