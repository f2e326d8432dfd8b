import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type BuildOptions, build } from 'esbuild';
import { DEPLOYED_BUILD } from '../infra/bundling.js';
import { ROOT } from '../infra/paths.js';
import {
  cognitoTriggers,
  type FunctionSpec,
  internalFunctions,
  jobs,
  routes,
  sourceMapsAtRuntime,
  usesKms,
} from '../shared/routes.js';

export const OUT = join(ROOT, 'bench', '.out');

/**
 * What a function is measured against: the official libraries it must load — the SDK clients it
 * constructs and, for a dashboard handler, the JWT verifier it must run (aws-jwt-verify) — built alone
 * with the same settings. What the function adds above that is ours to win. A floor is named by its
 * parts in this order, joined by "-" (`dynamodb-kms-jwt`); `none` has no part.
 */
const PARTS = {
  dynamodb: { imports: 'createDynamoClient', make: 'createDynamoClient()' },
  kms: { imports: 'createKmsClient', make: 'createKmsClient()' },
  sns: { imports: 'createSnsClient', make: 'createSnsClient()' },
  events: { imports: 'createEventBridgeClient', make: 'createEventBridgeClient()' },
  s3: { imports: 'createS3Client', make: 'createS3Client()' },
  jwt: { imports: '', make: "JwtVerifier.create({ issuer: 'https://issuer.example', audience: 'bench' })" },
} as const;
type Part = keyof typeof PARTS;
export type Floor = string;
/** The JWT check alone, built beside the floors to show what it costs. */
export const JWT_REFERENCE = 'jwt';

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

/** Exactly the CDK app's esbuild settings (infra/bundling.ts), the map beside the bundle as deployed. */
const DEPLOYED: BuildOptions = { ...DEPLOYED_BUILD, metafile: true, logLevel: 'error' };

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
  const parts: Part[] = [];
  if (access.dynamodb.length > 0) parts.push('dynamodb');
  if (usesKms(access)) parts.push('kms');
  if (access.snsPublish) parts.push('sns');
  if (access.eventsPut) parts.push('events');
  if (access.auditAnchors) parts.push('s3');
  if (parts.length > 0 && dashboard && !spec.public) parts.push('jwt');
  return parts.length ? parts.join('-') : 'none';
}

/** A floor's entry: a module that constructs exactly its parts, with the product's own client factories. */
function floorSource(floor: Floor): string {
  const parts = floor === 'none' ? [] : (floor.split('-') as Part[]);
  const clients = parts.map((part) => PARTS[part].imports).filter(Boolean);
  return [
    ...(clients.length ? [`import { ${clients.join(', ')} } from './shared/adapters/clients.js';`] : []),
    ...(parts.includes('jwt') ? ["import { JwtVerifier } from 'aws-jwt-verify/jwt-verifier';"] : []),
    `export const floor = [${parts.map((part) => PARTS[part].make).join(', ')}];`,
  ].join('\n');
}

async function bundle(entry: string | { source: string }, outfile: string, options: BuildOptions) {
  const result = await build({
    ...options,
    ...(typeof entry === 'string'
      ? { entryPoints: [entry] }
      : { stdin: { contents: entry.source, resolveDir: ROOT, sourcefile: 'floor.ts', loader: 'ts' } }),
    absWorkingDir: ROOT,
    outfile,
  });
  // The code, not its source map beside it.
  return result.metafile
    ? Object.entries(result.metafile.outputs).find(([path]) => !path.endsWith('.map'))?.[1]
    : undefined;
}

/** The SDK floor bundles of these functions, one per set of clients, built exactly as the functions are. */
export async function bundleFloors(
  functions: Pick<BundleFigures, 'floor'>[],
): Promise<Record<string, { bytes: number; file: string }>> {
  const floors: Record<string, { bytes: number; file: string }> = {};
  for (const floor of new Set([...functions.map((f) => f.floor), JWT_REFERENCE])) {
    const file = join(OUT, `floor-${floor}`, 'index.mjs');
    mkdirSync(join(OUT, `floor-${floor}`), { recursive: true });
    const output = await bundle({ source: floorSource(floor) }, file, DEPLOYED);
    floors[floor] = { bytes: output?.bytes ?? 0, file };
  }
  return floors;
}

/** Bundles every function exactly as the CDK app does, and again as the CDK's defaults would. */
export async function bundleAll(): Promise<BundleFigures[]> {
  const figures: BundleFigures[] = [];
  const specs: FunctionSpec[] = [...routes, ...internalFunctions, ...jobs, ...cognitoTriggers];
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
      usesKms: floor.includes('kms'),
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
