import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runFaults } from '../../reliability/faults.js';
import { hostileRequests } from '../../reliability/hostile.js';
import { findLeaks } from '../../reliability/leaks.js';
import { checkModel, MODEL } from '../../reliability/model.js';
import { raceReveals, raceTarget } from '../../reliability/races.js';
import { hostileTarget } from '../../reliability/targets.js';
import { type RunningServer, startLocalServer } from '../support/local-server.js';

/**
 * The fast parts of `npm run reliability` (the same code, smaller sizes): the model for 2 and 3
 * requesters, reveal races through HTTP, generated hostile input, a few faults, and the leak scan.
 */
let server: RunningServer;
const secrets: string[] = [];
const tokens: string[] = [];

beforeAll(async () => {
  server = await startLocalServer();
}, 60_000);
afterAll(async () => {
  await server?.interrupt();
  expect(findLeaks(server.output(), secrets, tokens)).toBe(0);
});

describe('reliability, quick', () => {
  it('spin finds no violation of the reveal protocol for 2 and 3 requesters, and finds the bug of an unconditional commit', async () => {
    for (const n of [2, 3]) expect(checkModel(n)).toMatchObject({ errors: 0 });
    const { readFileSync, writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const broken = join(mkdtempSync(join(tmpdir(), 'ssk-model-')), 'broken.pml');
    writeFileSync(
      broken,
      readFileSync(MODEL, 'utf8').replace(':: display -> display = false;', ':: true -> display = false;'),
    );
    expect(checkModel(2, broken).errors).toBeGreaterThan(0);
  }, 60_000);

  it('reveal races through HTTP: one secret per round, 410s naming the winner, one audit event', async () => {
    const races = await raceReveals(raceTarget(server, tokens), { rounds: 20, clients: 2, users: 4 });
    secrets.push(...races.secrets);
    expect(races).toMatchObject({
      rounds: 20,
      doubleReveals: 0,
      lostSecrets: 0,
      unnamed410s: 0,
      auditMismatches: 0,
      unexpected: 0,
    });
    expect(races.secrets).toHaveLength(20);
  }, 120_000);

  it('generated hostile input: no 5xx, every 4xx in an error shape, no secret where none belongs', async () => {
    const target = await hostileTarget(server);
    tokens.push(...Object.values(target.tokens).filter((t) => t.length > 20));
    const figures = await hostileRequests(target, 400, 7);
    expect(figures.examples).toEqual([]);
    expect(figures).toMatchObject({ requests: 400, serverErrors: 0, badShapes: 0, leakedSecrets: 0 });
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
  }, 120_000);

  it('faults: KMS down and DynamoDB resets after applying leave nothing lost or half-written; a crash at the commit', async () => {
    const { rows, output } = await runFaults({ quick: true });
    expect(rows.filter((row) => !row.pass)).toEqual([]);
    expect(rows.length).toBeGreaterThanOrEqual(8);
    expect(findLeaks(output, secrets)).toBe(0);
  }, 180_000);
});
