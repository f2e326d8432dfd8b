import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths.js';
import { readJsonLines } from '../support/integration-client.js';
import { assertNoSecretsLogged, type RunningServer, startLocalServer } from '../support/local-server.js';

/**
 * The rotation reminder over HTTP, as a user meets it: keys made through the API by a server whose clock
 * the test moves (test/support/shifted-clock.ts), the job run with `npm run remind -- --now …`, and what
 * it sent read from the outbox.
 */
const run = promisify(execFile);
const DAY = 86_400_000;
/** The job's "now" in the first run: a minute after the keys were made, so "aged 90 days" is due. */
let T0 = 0;
const iso = (ms: number) => new Date(ms).toISOString();

let server: RunningServer;
let offsetFile: string;
const secrets: string[] = [];
const tokens: string[] = [];

async function at<T>(offsetDays: number, fn: () => Promise<T>): Promise<T> {
  writeFileSync(offsetFile, String(offsetDays * DAY));
  await new Promise((resolve) => setTimeout(resolve, 30));
  try {
    return await fn();
  } finally {
    writeFileSync(offsetFile, '0');
    await new Promise((resolve) => setTimeout(resolve, 30));
  }
}

async function token(account: string, role: 'admin' | 'viewer' = 'admin') {
  const value = await server.token(account, `${account}-user`, role, '1000d');
  tokens.push(value);
  return value;
}

async function json(path: string, account: string, init: RequestInit & { json?: unknown } = {}) {
  const response = await server.request(path, { ...init, token: await token(account) });
  const body = (await response.json()) as Record<string, unknown> & { secret?: string };
  if (body.secret) secrets.push(body.secret);
  return { status: response.status, body };
}

async function remind(nowMs: number) {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'local/remind.ts', '--now', iso(nowMs)],
    {
      cwd: ROOT,
      env: { ...process.env, LOCAL_DIR: server.localDir },
    },
  );
  return stdout;
}

type Entry = {
  channel: string;
  subject?: string;
  message?: string;
  attributes?: Record<string, string>;
  detailType?: string;
  detail?: Record<string, unknown>;
};
const outbox = () => readJsonLines<Entry>(join(server.localDir, 'outbox.jsonl'));
const notices = (since: number, account?: string) =>
  outbox()
    .slice(since)
    .filter((entry) => entry.channel === 'sns' && (!account || entry.attributes?.accountId === account));

const keys: Record<string, { id: string; integrationId: string; name: string; secret: string }> = {};

beforeAll(async () => {
  offsetFile = join(mkdtempSync(join(tmpdir(), 'ssk-clock-')), 'offset');
  writeFileSync(offsetFile, '0');
  server = await startLocalServer(
    { CLOCK_OFFSET_FILE: offsetFile },
    { imports: [join(ROOT, 'test/support/shifted-clock.ts')] },
  );
  const made = async (account: string, integration: string, name: string, ageDays: number, body = {}) =>
    at(-ageDays, async () => {
      let integrationId = Object.values(keys).find((key) =>
        key.name.startsWith(`${account}:${integration}`),
      )?.integrationId;
      if (!integrationId) {
        const created = await json('/integrations', account, { method: 'POST', json: { name: integration } });
        integrationId = (created.body.integration as { id: string }).id;
        // The auto-generated key is revoked: the test's keys are the ones it names.
        const auto = (created.body.key as { id: string }).id;
        await json(`/integrations/${integrationId}/keys/${auto}`, account, { method: 'DELETE' });
      }
      const { status, body: key } = await json(`/integrations/${integrationId}/keys`, account, {
        method: 'POST',
        json: { name: `${account}:${integration}:${name}`, ...body },
      });
      expect(status).toBe(201);
      const view = key.key as { id: string; name: string };
      keys[name] = { id: view.id, integrationId, name: view.name, secret: String(key.secret) };
    });
  await made('acme', 'Payments', 'aged91', 91);
  await made('acme', 'Payments', 'aged90', 90);
  await made('acme', 'Payments', 'aged89', 89);
  await made('acme', 'Payouts', 'expires6', 0, { expiresInDays: 6 });
  await made('acme', 'Payouts', 'expires8', 0, { expiresInDays: 8 });
  await made('globex', 'Billing', 'globex91', 91);
  T0 = Date.now() + 60_000;
}, 120_000);

afterAll(async () => {
  await server?.interrupt();
  if (server) assertNoSecretsLogged(server.output() + JSON.stringify(outbox()), secrets, tokens);
});

describe('rotation policy and key views', () => {
  it('GET /settings/rotation shows the defaults; a viewer cannot change them; bad values are 400s naming the field', async () => {
    const read = await json('/settings/rotation', 'initech');
    expect(read).toEqual({
      status: 200,
      body: { rotationPeriodDays: 90, reminderIntervalDays: 7, updatedAt: null, updatedBy: null },
    });
    const viewer = await server.request('/settings/rotation', {
      method: 'PUT',
      token: await token('initech', 'viewer'),
      json: { rotationPeriodDays: 30 },
    });
    expect(viewer.status).toBe(403);
    for (const [body, field] of [
      [{ rotationPeriodDays: 0 }, 'rotationPeriodDays'],
      [{ rotationPeriodDays: 731 }, 'rotationPeriodDays'],
      [{ reminderIntervalDays: 91 }, 'reminderIntervalDays'],
      [{ reminderIntervalDays: 1.5 }, 'reminderIntervalDays'],
      [{}, 'rotationPeriodDays'],
    ] as const) {
      const response = await json('/settings/rotation', 'initech', { method: 'PUT', json: body });
      expect(response.status, JSON.stringify(body)).toBe(400);
      expect(JSON.stringify(response.body), JSON.stringify(body)).toContain(field);
    }
  });

  it('every active key shows when its rotation is due; a changed period moves it', async () => {
    const list = await json(`/integrations/${keys.aged91?.integrationId}/keys`, 'acme');
    const aged91 = (
      list.body.items as { id: string; rotationDueAt: string; createdAt: string; status: string }[]
    ).find((key) => key.id === keys.aged91?.id);
    expect(aged91?.status).toBe('active');
    expect(Date.parse(aged91?.rotationDueAt ?? '') - Date.parse(aged91?.createdAt ?? '')).toBe(90 * DAY);

    // globex moves to 120 days, then back: its key's due date follows both times.
    const dueOf = async () =>
      (
        (await json(`/integrations/${keys.globex91?.integrationId}/keys`, 'globex')).body.items as {
          id: string;
          rotationDueAt: string;
          createdAt: string;
        }[]
      ).find((key) => key.id === keys.globex91?.id);
    const put = await json('/settings/rotation', 'globex', {
      method: 'PUT',
      json: { rotationPeriodDays: 120 },
    });
    expect(put.body).toMatchObject({
      rotationPeriodDays: 120,
      reminderIntervalDays: 7,
      updatedBy: 'globex-user',
    });
    const moved = await dueOf();
    expect(Date.parse(moved?.rotationDueAt ?? '') - Date.parse(moved?.createdAt ?? '')).toBe(120 * DAY);
    await json('/settings/rotation', 'globex', { method: 'PUT', json: { rotationPeriodDays: 90 } });
    const back = await dueOf();
    expect(Date.parse(back?.rotationDueAt ?? '') - Date.parse(back?.createdAt ?? '')).toBe(90 * DAY);
  });
});

describe('the reminder job', () => {
  let firstRun = 0;
  it('names the keys aged 90 and 91 days and the one expiring in 6 days, per account, and nothing else', async () => {
    firstRun = outbox().length;
    const printed = await remind(T0);
    const acme = notices(firstRun, 'acme');
    const globex = notices(firstRun, 'globex');
    expect(acme).toHaveLength(1);
    expect(globex).toHaveLength(1);
    const text = `${acme[0]?.subject}\n${acme[0]?.message}`;
    for (const name of ['aged91', 'aged90', 'expires6']) expect(text, name).toContain(keys[name]?.name);
    for (const name of ['aged89', 'expires8', 'globex91']) expect(text, name).not.toContain(name);
    expect(text).toContain('Payments');
    expect(text).toContain(`POST /integrations/${keys.aged91?.integrationId}/keys/${keys.aged91?.id}/rotate`);
    expect(text).toMatch(/ssk_…\w{4}/);
    expect(globex[0]?.message).toContain('globex:Billing:globex91');
    expect(globex[0]?.message).not.toContain('acme');
    // The structured event beside each message.
    const events = outbox()
      .slice(firstRun)
      .filter((entry) => entry.detailType === 'Shared Secret Key Rotation Due');
    expect(events.map((event) => event.detail?.accountId).sort()).toEqual(['acme', 'globex']);
    const acmeEvent = events.find((event) => event.detail?.accountId === 'acme');
    expect(
      ((acmeEvent?.detail?.keys ?? []) as { keyId: string; reason: string }[])
        .map((key) => [key.keyId, key.reason])
        .sort(),
    ).toEqual(
      [
        [keys.aged90?.id, 'rotation_due'],
        [keys.aged91?.id, 'rotation_due'],
        [keys.expires6?.id, 'expiring'],
      ].sort(),
    );
    expect(printed).toContain('2 notification(s) sent');
  });

  it('a second run the same day sends nothing', async () => {
    const before = outbox().length;
    const printed = await remind(T0 + 3 * 3_600_000);
    expect(notices(before)).toEqual([]);
    expect(printed).toContain('0 notification(s) sent');
  });

  it('each reminder is an audited, published change: key.rotation_reminded in the audit list and on the bus', async () => {
    const audit = await json(`/integrations/${keys.aged91?.integrationId}/audit`, 'acme');
    const reminded = (
      audit.body.items as { action: string; keyId: string; details: { reason: string } }[]
    ).filter((event) => event.action === 'key.rotation_reminded');
    expect(reminded.map((event) => event.keyId).sort()).toEqual([keys.aged90?.id, keys.aged91?.id].sort());
    expect(reminded.every((event) => event.details.reason === 'rotation_due')).toBe(true);
    await expect
      .poll(
        () =>
          outbox().filter(
            (entry) =>
              entry.detailType === 'Shared Secret Key Rotation Reminded' &&
              entry.detail?.keyId === keys.aged91?.id,
          ).length,
      )
      .toBe(1);
  });

  it('7 days later it reminds again, reports the expiry that happened, and names the key now 96 days old', async () => {
    const before = outbox().length;
    await remind(T0 + 7 * DAY);
    const acme = notices(before, 'acme');
    expect(acme).toHaveLength(1);
    const message = acme[0]?.message ?? '';
    for (const name of ['aged91', 'aged90', 'aged89'])
      expect(message, name).toMatch(new RegExp(`${name}.*is due for rotation`));
    expect(message).toMatch(/expires6.*has expired/);
    expect(message).toMatch(/expires8.*expires soon/);
    expect(notices(before, 'globex')).toHaveLength(1);
  });

  it('the expired key reads expired and no longer verifies (key_expired)', async () => {
    await at(7, async () => {
      const list = await json(`/integrations/${keys.expires6?.integrationId}/keys`, 'acme');
      const view = (list.body.items as { id: string; status: string; rotationDueAt: string | null }[]).find(
        (key) => key.id === keys.expires6?.id,
      );
      expect(view).toMatchObject({ status: 'expired', rotationDueAt: null });
      const integration = await json(`/integrations/${keys.expires6?.integrationId}`, 'acme');
      const secret = keys.expires6?.secret;
      const body = '{"ping":true}';
      const ts = String(Math.floor(Date.now() / 1000) + 7 * 86_400);
      const signature = createHmac('sha256', secret ?? '')
        .update(`${ts}\nPOST\n/v1/signature-check\n${body}`)
        .digest('hex');
      const response = await server.request('/v1/signature-check', {
        method: 'POST',
        headers: {
          'x-auth-client': String(integration.body.apiKey),
          'x-hmac-signature': signature,
          'x-auth-timestamp': ts,
          'content-type': 'application/json',
        },
        body,
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe('key_expired');
    });
  });

  it('two runs at once send each reminder once', async () => {
    const before = outbox().length;
    const [a, b] = await Promise.all([remind(T0 + 14 * DAY), remind(T0 + 14 * DAY)]);
    const sent = notices(before);
    // Each key is decided by one run's conditional write, so the runs may share an account's keys between
    // their notices: what holds is that no key is named twice, and every due one is named.
    for (const account of ['acme', 'globex']) {
      const lines = sent
        .filter((entry) => entry.attributes?.accountId === account)
        .flatMap((entry) => (entry.message ?? '').split('\n').filter((line) => line.startsWith('- ')));
      expect(lines.length, account).toBeGreaterThan(0);
      expect(new Set(lines).size, account).toBe(lines.length);
    }
    const named = (account: string, name: string) =>
      sent.filter((entry) => entry.attributes?.accountId === account && entry.message?.includes(name)).length;
    expect(named('acme', 'aged91')).toBe(1);
    expect(named('globex', 'globex91')).toBe(1);
    expect(`${a}${b}`).toContain('notification(s) sent');
  });

  it('without a running stack, npm run remind says so in one line', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'local/remind.ts'], {
      cwd: ROOT,
      env: { ...process.env, LOCAL_DIR: join(server.localDir, 'nothing-here') },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 1 });
    expect((failed as { stderr: string }).stderr.trim().split('\n')).toEqual([
      'No local stack is running: start one with `npm start` (in another terminal), then run this again.',
    ]);
  });
});
