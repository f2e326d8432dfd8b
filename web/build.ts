import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { ROOT } from '../infra/paths.js';

/** The dashboard's files as served: the page, its one script (bundled, minified) and its stylesheet. */
export interface DashboardFile {
  path: string;
  contentType: string;
  body: Buffer;
}

const WEB = join(ROOT, 'web');

/** Builds the dashboard with esbuild, in memory: the local server serves it, the CDK app deploys it. */
export function buildDashboard(): DashboardFile[] {
  const result = buildSync({
    entryPoints: [join(WEB, 'src', 'main.ts')],
    bundle: true,
    format: 'esm',
    target: 'es2022',
    minify: true,
    sourcemap: false,
    write: false,
    outfile: 'app.js',
    legalComments: 'none',
    logLevel: 'silent',
  });
  const script = result.outputFiles[0];
  if (!script) throw new Error('The dashboard bundle is empty');
  return [
    {
      path: '/index.html',
      contentType: 'text/html; charset=utf-8',
      body: readFileSync(join(WEB, 'index.html')),
    },
    { path: '/app.js', contentType: 'text/javascript; charset=utf-8', body: Buffer.from(script.contents) },
    { path: '/app.css', contentType: 'text/css; charset=utf-8', body: readFileSync(join(WEB, 'app.css')) },
  ];
}
