import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { BUNDLE } from '../infra/bundling.js';
import { ROOT } from '../infra/paths.js';
import {
  cognitoTriggers,
  type FunctionSpec,
  internalFunctions,
  routes,
  sourceMapsAtRuntime,
  usesKms,
} from '../shared/routes.js';

export const OUT = join(ROOT, 'bench', '.out');

/**
 * What a function is measured against: the official libraries it must load — the SDK clients it
 * constructs and, for a dashboard handler, the JWT verifier it must run (aws-jwt-verify) — built alone
 * with the same settings. What the function adds above that is ours to win.
 */
export type Floor = 'none' | 'dynamodb' | 'dynamodb-kms' | 'dynamodb-jwt' | 'dynamodb-kms-jwt';
/** Reference bundles: the SDK floors, and the JWT check alone (to show what it costs). */
export type Reference = Floor | 'jwt';

export interface BundleFigures {
  handler: string;
  usesKms: boolean;
  /** Whether it runs with --enable-source-maps, as its route-table entry deploys it. */
  sourceMaps: boolean;
  floor: Floor;
  bytes: number;
  file: string;
  /** The same handler as NodejsFunction bundles it by default: CommonJS, the SDK left to node_modules. */
  peerFile: string;
  /** Largest contributors by package, in bytes of output. */
  top: [string, number][];
}

function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  if (match?.[1]) return match[1];
  return input.split('/')[0] ?? input;
}

/** Exactly the CDK app's esbuild settings (infra/bundling.ts). */
const DEPLOYED: BuildOptions = {
  bundle: true,
  format: BUNDLE.format,
  platform: BUNDLE.platform,
  target: BUNDLE.target,
  mainFields: [...BUNDLE.mainFields],
  minify: BUNDLE.minify,
  // As deployed: the map beside the bundle, which --enable-source-maps (DEPLOYED_NODE_OPTIONS) loads.
  sourcemap: BUNDLE.sourcemap,
  banner: { js: BUNDLE.banner },
  alias: { ...BUNDLE.alias },
  metafile: true,
  logLevel: 'error',
};

/**
 * NodejsFunction's defaults for a Node.js 18+ runtime: CommonJS, not minified, `@aws-sdk/*` external
 * (loaded at run time from node_modules: on Lambda the runtime's copy, here the project's).
 */
const PEER: BuildOptions = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node24',
  external: ['@aws-sdk/*'],
  logLevel: 'error',
};

export function floorOf(spec: FunctionSpec & { public?: boolean }, dashboard: boolean): Floor {
  const { access } = spec;
  const sdk = usesKms(access) ? 'dynamodb-kms' : access.dynamodb.length > 0 ? 'dynamodb' : 'none';
  if (sdk === 'none' || !dashboard || spec.public) return sdk;
  return `${sdk}-jwt`;
}

async function bundle(entry: string, outfile: string, options: BuildOptions) {
  const result = await build({ ...options, entryPoints: [entry], absWorkingDir: ROOT, outfile });
  // The code, not its source map beside it.
  return result.metafile
    ? Object.entries(result.metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1]
    : undefined;
}

/** The SDK floor bundles, one per set of clients, built exactly as the functions are. */
export async function bundleFloors(): Promise<Record<Reference, { bytes: number; file: string }>> {
  const floors = {} as Record<Reference, { bytes: number; file: string }>;
  for (const floor of [
    'none',
    'dynamodb',
    'dynamodb-kms',
    'dynamodb-jwt',
    'dynamodb-kms-jwt',
    'jwt',
  ] as const) {
    const file = join(OUT, `floor-${floor}`, 'index.mjs');
    mkdirSync(join(OUT, `floor-${floor}`), { recursive: true });
    const output = await bundle(join(ROOT, 'bench', 'floor', `${floor}.ts`), file, DEPLOYED);
    floors[floor] = { bytes: output?.bytes ?? 0, file };
  }
  return floors;
}

/** Bundles every function exactly as the CDK app does, and again as the CDK's defaults would. */
export async function bundleAll(): Promise<BundleFigures[]> {
  const figures: BundleFigures[] = [];
  const specs: FunctionSpec[] = [...routes, ...internalFunctions, ...cognitoTriggers];
  for (const spec of specs) {
    const outdir = join(OUT, spec.handler);
    mkdirSync(outdir, { recursive: true });
    const entry = join(ROOT, 'functions', `${spec.handler}.ts`);
    const output = await bundle(entry, join(outdir, 'index.mjs'), DEPLOYED);
    // Inside the project, so that its node_modules is where node finds the SDK, as a runtime would.
    await bundle(entry, join(outdir, 'peer.cjs'), PEER);
    const byPackage = new Map<string, number>();
    for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
      const name = packageOf(input);
      byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
    }
    const floor = floorOf(spec, routes.includes(spec as (typeof routes)[number]));
    figures.push({
      handler: spec.handler,
      usesKms: floor.startsWith('dynamodb-kms'),
      sourceMaps: sourceMapsAtRuntime(spec),
      floor,
      bytes: output?.bytes ?? 0,
      file: join(outdir, 'index.mjs'),
      peerFile: join(outdir, 'peer.cjs'),
      top: [...byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3),
    });
  }
  return figures;
}
