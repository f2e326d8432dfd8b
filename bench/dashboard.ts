import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildDashboard } from '../web/build.js';

/**
 * The dashboard's weight (its JS, gzipped) and its first render in Debian's Chromium: from navigation
 * start to the sign-in page drawn, median of several cold page loads. Figures only.
 */
export async function measureDashboard(runs = 7) {
  const files = new Map(buildDashboard().map((file) => [file.path, file]));
  const config = JSON.stringify({ apiUrl: '', auth: { mode: 'local' } });
  const server = createServer((req, res) => {
    const path = req.url === '/' ? '/index.html' : (req.url ?? '');
    const file = files.get(path);
    if (path === '/config.json') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(config);
    } else if (file) {
      res.writeHead(200, { 'content-type': file.contentType });
      res.end(file.body);
    } else {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const renders: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForSelector('form.signin');
      renders.push(await page.evaluate(() => performance.now()));
      await context.close();
    }
  } finally {
    await browser.close();
    server.close();
  }
  renders.sort((a, b) => a - b);
  const script = files.get('/app.js')?.body ?? Buffer.alloc(0);
  return {
    jsBytes: script.length,
    jsGzipBytes: gzipSync(script, { level: 9 }).length,
    cssGzipBytes: gzipSync(files.get('/app.css')?.body ?? Buffer.alloc(0), { level: 9 }).length,
    firstRenderMs: renders[Math.floor(renders.length / 2)] ?? 0,
  };
}
