import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUT } from './bundles.js';

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
};

/** Environment a bundle needs to initialise (it reads config at import); nothing is contacted. */
const ENV = {
  ...process.env,
  TABLE_NAME: 'bench',
  KMS_KEY_ID: 'arn:aws:kms:us-east-1:000000000000:key/bench',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  SECRET_SCANNING_KEYS_URL: 'https://127.0.0.1:9/secret-scanning-keys',
  TOPIC_ARN: 'arn:aws:sns:us-east-1:000000000000:bench',
  ANCHOR_BUCKET: 'bench-anchors',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

/** What the CDK app sets on every function (infra/function.ts): the bench times init with it. */
export const DEPLOYED_NODE_OPTIONS = '--enable-source-maps';

function timeNode(node: string, file: string, sourceMaps = true): number {
  const started = process.hrtime.bigint();
  const env = { ...ENV, NODE_OPTIONS: sourceMaps ? DEPLOYED_NODE_OPTIONS : '' };
  const result = spawnSync(node, [file], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (result.status !== 0)
    throw new Error(`${file} failed to load: ${result.stderr.toString().slice(0, 500)}`);
  return elapsed;
}

/**
 * Module init: median wall time of fresh `node` processes that import the bundle, minus the median of
 * an empty `node` start, both sampled side by side (interleaved) in the same run.
 */
export function measureInit(
  bundles: { handler: string; file: string; sourceMaps?: boolean }[],
  runs = 15,
  node = process.execPath,
  sourceMaps = true,
): Map<string, number> {
  const empty = join(OUT, 'empty.mjs');
  writeFileSync(empty, '');
  const samples = new Map<string, number[]>(bundles.map((b) => [b.handler, []]));
  const baseline: number[] = [];
  timeNode(node, empty); // warm the file system cache
  for (let run = 0; run < runs; run++) {
    for (const bundle of bundles) {
      baseline.push(timeNode(node, empty, sourceMaps));
      samples
        .get(bundle.handler)
        ?.push(timeNode(node, bundle.file, sourceMaps && bundle.sourceMaps !== false));
    }
  }
  const base = median(baseline);
  return new Map([...samples].map(([handler, times]) => [handler, Math.max(0, median(times) - base)]));
}

export { median };
