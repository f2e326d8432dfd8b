/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROOT } from '../../infra/paths.js';
import { signedHeaders } from '../support/integration-client.js';
import { assertNoSecretsLogged, type RunningServer, startLocalServer } from '../support/local-server.js';

/**
 * The dashboard as a person uses it: Debian's Chromium (never a downloaded browser) driven by
 * playwright-core against `npm start`'s server, every flow of the show-once keys, with accessibility
 * checked by axe on each page and screenshots kept in .local/screenshots for people to look at.
 */
const SHOTS = join(ROOT, '.local', 'screenshots');
let server: RunningServer;
let browser: Browser;
const consoleLines: string[] = [];
const secrets: string[] = [];
let shot = 0;

async function signedIn(
  user: string,
  role: 'admin' | 'viewer' = 'admin',
  account = 'acme',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ baseURL: server.url });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  const page = await context.newPage();
  page.on('console', (message) => consoleLines.push(message.text()));
  page.on('pageerror', (error) => consoleLines.push(String(error)));
  await signIn(page, user, role, account);
  return { context, page };
}

async function signIn(page: Page, user: string, role: string, account: string) {
  await page.goto('/');
  await page.getByLabel('Account').fill(account);
  await page.getByLabel('User').fill(user);
  await page.getByLabel('Role').selectOption(role);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'All integrations' }).waitFor();
}

async function screenshot(page: Page, name: string) {
  await page.screenshot({
    path: join(SHOTS, `${String(++shot).padStart(2, '0')}-${name}.png`),
    fullPage: true,
  });
}

async function accessible(page: Page, what: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const serious = results.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  expect(
    serious.map((v) => `${v.id}: ${v.help}`),
    what,
  ).toEqual([]);
}

/** Everything a page could keep a secret in, after its dialog closed. */
async function whereSecretsCouldHide(page: Page) {
  return page.evaluate(async () => {
    const storage = (s: Storage) =>
      Array.from({ length: s.length }, (_, i) => `${s.key(i)}=${s.getItem(s.key(i) ?? '')}`);
    const databases = (await indexedDB.databases?.())?.map((db) => db.name) ?? [];
    return JSON.stringify({
      html: document.documentElement.outerHTML,
      url: location.href,
      title: document.title,
      local: storage(localStorage),
      session: storage(sessionStorage),
      databases,
      cookies: document.cookie,
      historyLength: history.length,
      inputs: Array.from(document.querySelectorAll('input')).map((input) => input.value),
    });
  });
}

async function createIntegration(page: Page, name: string) {
  await page.getByLabel('New integration name').fill(name);
  await page.getByRole('button', { name: 'Create integration' }).click();
  await page.getByRole('heading', { name }).waitFor();
}

/** Reads the secret from the open show-once dialog, copies it, closes it, and returns what was copied. */
async function copyAndClose(page: Page): Promise<string> {
  const dialog = page.getByRole('dialog');
  await dialog.getByRole('button', { name: 'Copy' }).click();
  await dialog.getByText('Copied to the clipboard.').waitFor();
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  await page.evaluate(() => navigator.clipboard.writeText(''));
  await dialog.getByRole('button', { name: "I've copied the key" }).click();
  await expect.poll(() => page.getByRole('dialog').count()).toBe(0);
  secrets.push(copied);
  return copied;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  server = await startLocalServer();
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await server?.interrupt();
  if (server) assertNoSecretsLogged(server.output() + consoleLines.join('\n'), secrets);
});

describe('the dashboard', () => {
  it('+ Add key → name → Create → the secret once, undismissable until copied, then verifying a signed call', async () => {
    const { page, context } = await signedIn('alice');
    await accessible(page, 'integrations');
    await screenshot(page, 'integrations');
    await createIntegration(page, 'Payments backend');
    await page.getByRole('heading', { name: 'Installation Settings' }).waitFor();
    await page.getByRole('heading', { name: 'Shared secret keys' }).waitFor();
    await accessible(page, 'integration keys');
    await screenshot(page, 'integration-keys');

    await page.getByRole('button', { name: '+ Add key' }).click();
    await page
      .getByText(
        'This name helps you identify the key later since the secret will not be visible after creation',
      )
      .waitFor();
    await page.getByRole('button', { name: 'Create', exact: true }).click();
    await page.getByText('A name is required.').waitFor();
    await expect.poll(() => page.getByLabel('Key name').getAttribute('aria-invalid')).toBe('true');
    await page.getByLabel('Key name').fill('Primary');
    await page.getByRole('button', { name: 'Create', exact: true }).click();

    const dialog = page.getByRole('dialog');
    await dialog
      .getByText(
        '⚠️ Important: This is the only time you will see this key. Copy it to a secure location now. It cannot be recovered later.',
      )
      .waitFor();
    await accessible(page, 'secret dialog');
    await screenshot(page, 'created-secret');
    // Escape and a click outside do not close it.
    await page.keyboard.press('Escape');
    await page.mouse.click(3, 3);
    await page.keyboard.press('Escape');
    expect(await dialog.isVisible()).toBe(true);
    // Focus stays inside: tabbing around never leaves the dialog.
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      expect(await page.evaluate(() => Boolean(document.activeElement?.closest('dialog')))).toBe(true);
    }
    const shown = await dialog.getByLabel('Secret').inputValue();
    const secret = await copyAndClose(page);
    expect(secret).toBe(shown);
    expect(secret).toMatch(/^ssk_[0-9A-Za-z]{49}$/);

    const traces = await whereSecretsCouldHide(page);
    expect(traces).not.toContain(secret);
    expect(traces).not.toContain(secret.slice(4, 30));
    await expect
      .poll(() => page.getByRole('row', { name: /Primary/ }).textContent())
      .toContain('Key no longer viewable');

    // The copied secret signs a call the service accepts.
    const apiKey = await page.getByLabel('Public API key (X-AUTH-CLIENT)').inputValue();
    const body = '{"hello":"world"}';
    const response = await server.request('/v1/signature-check', {
      method: 'POST',
      headers: signedHeaders({ secret, apiKey, body }),
      body,
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ valid: true, keyName: 'Primary' });
    await context.close();
  });

  it('Show key asks first, then shows the auto-generated secret once', async () => {
    const { page, context } = await signedIn('alice');
    await createIntegration(page, 'Webhooks');
    await page.getByRole('button', { name: 'Show key' }).click();
    const confirm = page.getByRole('dialog', { name: 'Show this shared secret key?' });
    await confirm
      .getByText(
        'This key will only be shown once. Copy and save it securely now. It cannot be retrieved later.',
      )
      .waitFor();
    await accessible(page, 'reveal confirmation');
    await screenshot(page, 'reveal-confirm');
    await confirm.getByRole('button', { name: 'Show key' }).click();
    const secret = await copyAndClose(page);
    expect(secret).toMatch(/^ssk_/);
    expect(await whereSecretsCouldHide(page)).not.toContain(secret);
    await expect.poll(() => page.getByRole('button', { name: 'Show key' }).count()).toBe(0);
    await page.getByText('Key no longer viewable').first().waitFor();
    await screenshot(page, 'revealed');
    await context.close();
  });

  it('a KMS outage during Show key reads as words with a safe retry, and the retry shows the secret', async () => {
    const { page, context } = await signedIn('alice', 'admin', 'outage');
    await createIntegration(page, 'Outage');
    const fault = (value: string) =>
      fetch(`${server.kmsEndpoint}/__standin/fault`, {
        method: 'POST',
        body: JSON.stringify({ fault: value, ...(value === 'none' ? {} : { operations: ['Decrypt'] }) }),
      });
    await fault('unavailable');
    try {
      await page.getByRole('button', { name: 'Show key' }).click();
      await page
        .getByRole('dialog', { name: 'Show this shared secret key?' })
        .getByRole('button', { name: 'Show key' })
        .click();
      const alert = page.getByRole('alert');
      await alert
        .getByText("The service couldn't finish this just now. Nothing was changed: try again.")
        .waitFor();
      expect(await alert.textContent()).not.toContain('{');
      await screenshot(page, 'reveal-503');
    } finally {
      await fault('none');
    }
    await page.getByRole('button', { name: 'Try again' }).click();
    await page
      .getByRole('dialog', { name: 'Show this shared secret key?' })
      .getByRole('button', { name: 'Show key' })
      .click();
    expect(await copyAndClose(page)).toMatch(/^ssk_/);
    await context.close();
  });

  it('two users racing on Show key: exactly one sees the secret, the other "Key no longer viewable"; after a reload nobody can', async () => {
    const first = await signedIn('alice');
    await createIntegration(first.page, 'Race');
    const url = first.page.url();
    const second = await signedIn('bob');
    await second.page.goto(url);
    // A reload signs out (tokens live in memory only): sign in again and go to the integration.
    await signIn(second.page, 'bob', 'admin', 'acme');
    await second.page.goto(url);
    for (const { page } of [first, second]) {
      await page.getByRole('button', { name: 'Show key' }).click();
      await page.getByRole('dialog', { name: 'Show this shared secret key?' }).waitFor();
    }
    await Promise.all(
      [first, second].map(({ page }) =>
        page
          .getByRole('dialog', { name: 'Show this shared secret key?' })
          .getByRole('button', { name: 'Show key' })
          .click(),
      ),
    );
    const outcome = async (page: Page) => {
      const dialog = page.getByRole('dialog');
      await dialog.waitFor();
      return (await dialog.getByRole('heading').textContent()) ?? '';
    };
    const outcomes = await Promise.all([outcome(first.page), outcome(second.page)]);
    expect(outcomes.filter((title) => title.startsWith('Shared secret key:'))).toHaveLength(1);
    expect(outcomes.filter((title) => title === 'Key no longer viewable')).toHaveLength(1);
    const loser = outcomes[0] === 'Key no longer viewable' ? first.page : second.page;
    const winner = loser === first.page ? second.page : first.page;
    await expect.poll(() => loser.getByRole('dialog').textContent()).toMatch(/viewed it/);
    await screenshot(loser, 'race-lost');
    await copyAndClose(winner);
    await loser.getByRole('dialog').getByRole('button', { name: 'OK' }).click();
    for (const page of [first.page, second.page]) {
      await page.reload();
      await signIn(page, 'carol', 'admin', 'acme');
      await page.goto(url);
      await page.getByText('Key no longer viewable').first().waitFor();
      expect(await page.getByRole('button', { name: 'Show key' }).count()).toBe(0);
    }
    await first.context.close();
    await second.context.close();
  });

  it('rotate (with an overlap) and revoke through the UI; the audit tab and the settings page', async () => {
    const { page, context } = await signedIn('alice', 'admin', 'rotators');
    await createIntegration(page, 'Rotated');
    await page.getByRole('button', { name: 'Rotate' }).click();
    const rotate = page.getByRole('dialog', { name: /Rotate/ });
    await rotate.getByLabel('Overlap').selectOption({ label: '1 hour' });
    await screenshot(page, 'rotate');
    await rotate.getByRole('button', { name: 'Rotate' }).click();
    await copyAndClose(page);
    await page.getByText(/Expiring in (60 minutes|1 hour)/).waitFor();
    const successor = page.getByRole('row', { name: /Auto-generated key \(rotated\)/ });
    await successor.getByRole('button', { name: 'Revoke' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke "Auto-generated key (rotated)"?' });
    await revoke.getByText(/stops verifying now/).waitFor();
    await revoke.getByRole('button', { name: 'Revoke key' }).click();
    await expect.poll(() => successor.textContent()).toContain('Revoked');
    await screenshot(page, 'rotated-and-revoked');

    await page.getByRole('link', { name: 'Audit' }).click();
    await page.getByRole('heading', { name: 'Audit' }).waitFor();
    for (const action of [
      'Integration created',
      'Key auto-generated',
      'Key rotated',
      'Key created',
      'Key revoked',
    ]) {
      await page.getByRole('cell', { name: action, exact: true }).first().waitFor();
    }
    await accessible(page, 'audit');
    await screenshot(page, 'audit');

    await page.getByRole('link', { name: 'Rotation settings' }).click();
    await page.getByLabel('Rotate keys every (days, 1–730)').fill('30');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText(/^Saved\./).waitFor();
    await accessible(page, 'settings');
    await screenshot(page, 'settings');
    await page.getByLabel('Rotate keys every (days, 1–730)').fill('0');
    await page.getByRole('button', { name: 'Save' }).click();
    await page
      .getByRole('alert')
      .getByText(/rotationPeriodDays must be at least 1/)
      .waitFor();
    await context.close();
  });

  it('a viewer sees no write or reveal controls, and errors read as words', async () => {
    const admin = await signedIn('alice', 'admin', 'viewers');
    await createIntegration(admin.page, 'Read only');
    const url = admin.page.url();
    await admin.context.close();
    const { page, context } = await signedIn('vic', 'viewer', 'viewers');
    expect(await page.getByLabel('New integration name').count()).toBe(0);
    await page.getByRole('link', { name: 'Read only' }).click();
    await page.getByRole('heading', { name: 'Shared secret keys' }).waitFor();
    await page.getByText('Viewable once by an admin').waitFor();
    for (const name of ['+ Add key', 'Show key', 'Rotate', 'Revoke']) {
      expect(await page.getByRole('button', { name }).count(), name).toBe(0);
    }
    await accessible(page, 'viewer keys');
    await screenshot(page, 'viewer');
    await page.getByRole('link', { name: 'Rotation settings' }).click();
    await page.getByText('Only an admin can change these.').waitFor();
    expect(await page.getByRole('button', { name: 'Save' }).count()).toBe(0);
    // Another account's integration: a sentence, not JSON.
    await page.goto(`${server.url}/`);
    await signIn(page, 'eve', 'admin', 'elsewhere');
    await page.goto(url);
    await signIn(page, 'eve', 'admin', 'elsewhere');
    await page.goto(url);
    const error = page.getByRole('alert');
    await error.waitFor();
    expect(await error.textContent()).toBe("This integration doesn't exist, or it isn't in your account.");
    await context.close();
  });

  it('serves the page with a strict content security policy and no referrer', async () => {
    const response = await fetch(`${server.url}/`);
    expect(response.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const html = await response.text();
    expect(html).not.toMatch(/<script(?![^>]*src=)/);
    expect(html).not.toMatch(/style=/);
    expect(consoleLines.filter((line) => /Content Security Policy|Refused/.test(line))).toEqual([]);
  });
});
