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
  // The map maps stack traces; it need not carry the sources themselves. Without them it is a fraction of
  // the size, and --enable-source-maps parses it at init (the bench prints what maps cost).
  sourcesContent: false,
  // Some CommonJS inside the bundle still calls require() for Node built-ins.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  // Relative to the project root, where esbuild runs. See each file for why.
  alias: {
    'node:stream/web': './shared/runtime/stream-web.ts',
    '@aws-sdk/credential-provider-node': './shared/runtime/lambda-credentials.ts',
  },
} as const;

/** The same as esbuild options, for the bench and the bundle test, which build what the CDK app builds. */
export const DEPLOYED_BUILD = {
  bundle: true,
  format: BUNDLE.format,
  platform: BUNDLE.platform,
  target: BUNDLE.target,
  mainFields: [...BUNDLE.mainFields],
  minify: BUNDLE.minify,
  sourcemap: BUNDLE.sourcemap,
  sourcesContent: BUNDLE.sourcesContent,
  banner: { js: BUNDLE.banner },
  alias: { ...BUNDLE.alias },
};
