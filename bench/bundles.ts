import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE } from '../infra/bundling.js';
import { cognitoTriggers, internalFunctions, routes } from '../shared/routes.js';

export const ROOT = join(import.meta.dirname, '..');
export const OUT = join(ROOT, 'bench', '.out');

export interface BundleFigures {
  handler: string;
  usesKms: boolean;
  bytes: number;
  file: string;
  /** Largest contributors by package, in bytes of output. */
  top: [string, number][];
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1]) return match[1];
  return input.split('/')[0] ?? input;
}

/** Bundles every function exactly as the CDK app does (infra/bundling.ts). */
export async function bundleAll(): Promise<BundleFigures[]> {
  const figures: BundleFigures[] = [];
  for (const spec of [...routes, ...internalFunctions, ...cognitoTriggers]) {
    const outdir = join(OUT, spec.handler);
    mkdirSync(outdir, { recursive: true });
    const result = await build({
      entryPoints: [join(ROOT, 'functions', `${spec.handler}.ts`)],
      absWorkingDir: ROOT,
      bundle: true,
      outfile: join(outdir, 'index.mjs'),
      format: BUNDLE.format,
      platform: BUNDLE.platform,
      target: BUNDLE.target,
      mainFields: [...BUNDLE.mainFields],
      minify: BUNDLE.minify,
      sourcemap: false,
      banner: { js: BUNDLE.banner },
      alias: { ...BUNDLE.alias },
      metafile: true,
      logLevel: 'error',
    });
    const output = Object.values(result.metafile.outputs)[0];
    const byPackage = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
    figures.push({
      handler: spec.handler,
      usesKms: Boolean(spec.access.kmsDecrypt?.length || spec.access.kmsGenerate?.length),
      bytes: output?.bytes ?? 0,
      file: join(outdir, 'index.mjs'),
      top: [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3),
    });
  }
  return figures;
}
