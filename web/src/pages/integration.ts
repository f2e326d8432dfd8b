import { ApiError, call, isAdmin } from '../api.js';
import { confirmDialog, messageDialog, secretDialog } from '../dialog.js';
import { h, relative, replace, timeElement, uid } from '../dom.js';
import { busy, errorBox, pager } from './shared.js';

interface Integration {
  id: string;
  name: string;
  apiKey: string;
}

export interface KeyView {
  id: string;
  name: string;
  origin: 'created' | 'auto-generated';
  status: 'active' | 'expiring' | 'expired' | 'revoked';
  expiresAt: string | null;
  rotationDueAt: string | null;
  hint: string;
  createdAt: string;
  createdBy: string;
  viewable: boolean;
  viewedAt: string | null;
  viewedBy: string | null;
  lastUsedAt: string | null;
}

interface AuditEvent {
  id: string;
  action: string;
  actor: string;
  at: string;
  sourceIp: string;
  keyId?: string;
  details?: Record<string, string | number | boolean>;
}

const OVERLAPS: [string, number][] = [
  ['None: the old key stops now', 0],
  ['1 hour', 3_600],
  ['24 hours', 86_400],
  ['7 days', 604_800],
];

/** One integration: its "API Keys" tab (the show-once flows) or its "Audit" tab. */
export async function integrationPage(main: HTMLElement, integrationId: string, tab: 'keys' | 'audit') {
  replace(main, h('p', {}, 'Loading…'));
  let integration: Integration;
  try {
    integration = await call<Integration>('GET', `/integrations/${integrationId}`);
  } catch (error) {
    replace(
      main,
      h('h1', {}, 'Integration'),
      errorBox(error, () => void integrationPage(main, integrationId, tab)),
    );
    return;
  }
  const panel = h('section', { id: 'panel', role: 'tabpanel', 'aria-labelledby': `tab-${tab}` });
  const tabs = h(
    'nav',
    { class: 'tabs', 'aria-label': 'Integration' },
    h(
      'a',
      {
        id: 'tab-keys',
        href: `#/integrations/${integrationId}`,
        'aria-current': tab === 'keys' ? 'page' : undefined,
      },
      'API Keys',
    ),
    h(
      'a',
      {
        id: 'tab-audit',
        href: `#/integrations/${integrationId}/audit`,
        'aria-current': tab === 'audit' ? 'page' : undefined,
      },
      'Audit',
    ),
  );
  replace(
    main,
    h('p', {}, h('a', { href: '#/integrations' }, '← All integrations')),
    h('h1', {}, integration.name),
    tabs,
    panel,
  );
  if (tab === 'keys') await keysTab(panel, integration);
  else await auditTab(panel, integration.id);
}

function statusText(key: KeyView): string {
  if (key.status === 'expiring' && key.expiresAt) return `Expiring ${relative(key.expiresAt)}`;
  if (key.status === 'active' && key.expiresAt) return `Active, expires ${relative(key.expiresAt)}`;
  return key.status[0]?.toUpperCase() + key.status.slice(1);
}

async function keysTab(panel: HTMLElement, integration: Integration) {
  const copyStatus = h('span', { role: 'status', 'aria-live': 'polite', class: 'copied' });
  const apiKeyId = uid('apikey');
  const list = h('div', {}, h('p', {}, 'Loading…'));
  const addArea = h('div');
  const refresh = () => void renderKeys(list, integration, refresh);
  replace(
    panel,
    h('h2', {}, 'Installation Settings'),
    h('label', { for: apiKeyId }, 'Public API key (X-AUTH-CLIENT)'),
    h(
      'div',
      { class: 'copy-row' },
      h('input', { id: apiKeyId, readonly: true, value: integration.apiKey }),
      h(
        'button',
        {
          type: 'button',
          class: 'secondary',
          onclick: async () => {
            await navigator.clipboard.writeText(integration.apiKey).catch(() => undefined);
            copyStatus.textContent = 'Copied.';
          },
        },
        'Copy',
      ),
      copyStatus,
    ),
    h('h2', {}, 'Shared secret keys'),
    isAdmin() ? addKeyControls(addArea, integration, refresh) : null,
    addArea,
    list,
  );
  await renderKeys(list, integration, refresh);
}

function addKeyControls(area: HTMLElement, integration: Integration, refresh: () => void): HTMLElement {
  const open = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      onclick: () => {
        open.hidden = true;
        const nameId = uid('key-name');
        const help = h(
          'p',
          { id: `${nameId}-help`, class: 'help' },
          'This name helps you identify the key later since the secret will not be visible after creation',
        );
        const fieldError = h('p', { id: `${nameId}-error`, class: 'field-error' });
        const errors = h('div');
        const input = h('input', {
          id: nameId,
          name: 'name',
          maxlength: 100,
          required: true,
          'aria-describedby': `${nameId}-help ${nameId}-error`,
        });
        const submit = h('button', { type: 'submit', class: 'primary' }, 'Create');
        const form = h(
          'form',
          {
            class: 'add-key',
            novalidate: true,
            onsubmit: async (event: Event) => {
              event.preventDefault();
              const name = input.value.trim();
              if (!name) {
                input.setAttribute('aria-invalid', 'true');
                fieldError.textContent = 'A name is required.';
                input.focus();
                return;
              }
              input.removeAttribute('aria-invalid');
              fieldError.textContent = '';
              const created = await busy(submit, errors, () =>
                call<{ key: KeyView; secret: string }>('POST', `/integrations/${integration.id}/keys`, {
                  name,
                }),
              );
              if (!created) return;
              const secret = { value: created.secret };
              created.secret = '';
              area.replaceChildren();
              open.hidden = false;
              await secretDialog(created.key.name, secret);
              refresh();
              open.focus();
            },
          },
          h('label', { for: nameId }, 'Key name'),
          input,
          help,
          fieldError,
          h(
            'div',
            { class: 'actions' },
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => {
                  area.replaceChildren();
                  open.hidden = false;
                  open.focus();
                },
              },
              'Cancel',
            ),
            submit,
          ),
          errors,
        );
        area.replaceChildren(form);
        input.focus();
      },
    },
    '+ Add key',
  );
  return open;
}

async function renderKeys(list: HTMLElement, integration: Integration, refresh: () => void) {
  let keys: KeyView[];
  try {
    keys = (await call<{ items: KeyView[] }>('GET', `/integrations/${integration.id}/keys`)).items;
  } catch (error) {
    replace(list, errorBox(error, refresh));
    return;
  }
  const admin = isAdmin();
  const message = h('div');
  const rows = keys.map((key) => {
    const view = key.viewable
      ? admin
        ? h(
            'button',
            {
              type: 'button',
              class: 'primary',
              onclick: () => void reveal(integration, key, refresh, message),
            },
            'Show key',
          )
        : h('span', {}, 'Viewable once by an admin')
      : h(
          'span',
          { class: 'muted' },
          'Key no longer viewable',
          key.viewedBy
            ? h('small', {}, ` (viewed by ${key.viewedBy} `, timeElement(key.viewedAt), ')')
            : null,
        );
    const actions =
      admin && key.status === 'active'
        ? [
            h(
              'button',
              {
                type: 'button',
                class: 'secondary',
                onclick: () => void rotate(integration, key, refresh, message),
              },
              'Rotate',
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'danger',
                onclick: () => void revoke(integration, key, refresh, message),
              },
              'Revoke',
            ),
          ]
        : admin && key.status === 'expiring'
          ? [
              h(
                'button',
                {
                  type: 'button',
                  class: 'danger',
                  onclick: () => void revoke(integration, key, refresh, message),
                },
                'Revoke',
              ),
            ]
          : [];
    return h(
      'tr',
      { 'data-key-id': key.id },
      h('th', { scope: 'row' }, key.name),
      h('td', {}, h('code', {}, key.hint)),
      h('td', {}, key.origin === 'auto-generated' ? 'Auto-generated' : 'Created'),
      h('td', {}, key.createdBy, h('br'), timeElement(key.createdAt)),
      h('td', { class: `status status-${key.status}` }, statusText(key)),
      h('td', {}, timeElement(key.lastUsedAt)),
      h('td', {}, key.rotationDueAt ? timeElement(key.rotationDueAt) : '—'),
      h('td', {}, view),
      h('td', { class: 'row-actions' }, actions),
    );
  });
  replace(
    list,
    message,
    h(
      'table',
      {},
      h('caption', { class: 'visually-hidden' }, 'Shared secret keys'),
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          [
            'Name',
            'Hint',
            'Origin',
            'Created',
            'Status',
            'Last used',
            'Rotation due',
            'Secret',
            'Actions',
          ].map((title) => h('th', { scope: 'col' }, title)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

async function reveal(integration: Integration, key: KeyView, refresh: () => void, message: HTMLElement) {
  const sure = await confirmDialog({
    title: 'Show this shared secret key?',
    text: 'This key will only be shown once. Copy and save it securely now. It cannot be retrieved later.',
    confirm: 'Show key',
  });
  if (!sure) return;
  message.replaceChildren();
  try {
    const revealed = await call<{ key: KeyView; secret: string }>(
      'POST',
      `/integrations/${integration.id}/keys/${key.id}/reveal`,
    );
    const secret = { value: revealed.secret };
    revealed.secret = '';
    await secretDialog(key.name, secret);
  } catch (error) {
    if (error instanceof ApiError && error.code === 'key_no_longer_viewable') {
      const who = error.detail.viewedBy
        ? ` ${String(error.detail.viewedBy)} viewed it ${relative(String(error.detail.viewedAt ?? ''))}.`
        : '';
      await messageDialog(
        'Key no longer viewable',
        `Someone else revealed this key first.${who} It still signs and verifies; rotate it if you need a secret you can see.`,
      );
    } else {
      message.append(errorBox(error, () => void reveal(integration, key, refresh, message)));
      return;
    }
  }
  refresh();
}

async function rotate(integration: Integration, key: KeyView, refresh: () => void, message: HTMLElement) {
  const selectId = uid('overlap');
  const select = h(
    'select',
    { id: selectId },
    OVERLAPS.map(([label, seconds]) =>
      h('option', { value: String(seconds), selected: seconds === 86_400 }, label),
    ),
  );
  const sure = await confirmDialog({
    title: `Rotate "${key.name}"?`,
    text: 'A new key is created and its secret shown once. The old key keeps verifying for the overlap you choose, so clients can switch without a gap.',
    confirm: 'Rotate',
    extra: h('div', { class: 'field' }, h('label', { for: selectId }, 'Overlap'), select),
  });
  if (!sure) return;
  message.replaceChildren();
  try {
    const rotated = await call<{ key: KeyView; secret: string }>(
      'POST',
      `/integrations/${integration.id}/keys/${key.id}/rotate`,
      {
        overlapSeconds: Number(select.value),
      },
    );
    const secret = { value: rotated.secret };
    rotated.secret = '';
    await secretDialog(rotated.key.name, secret);
  } catch (error) {
    message.append(errorBox(error));
  }
  refresh();
}

async function revoke(integration: Integration, key: KeyView, refresh: () => void, message: HTMLElement) {
  const sure = await confirmDialog({
    title: `Revoke "${key.name}"?`,
    text: `The key ${key.hint} stops verifying now, everywhere within a second. This cannot be undone.`,
    confirm: 'Revoke key',
    danger: true,
  });
  if (!sure) return;
  message.replaceChildren();
  try {
    await call('DELETE', `/integrations/${integration.id}/keys/${key.id}`);
  } catch (error) {
    message.append(errorBox(error));
  }
  refresh();
}

const ACTIONS: Record<string, string> = {
  'integration.created': 'Integration created',
  'integration.updated': 'Integration changed',
  'key.created': 'Key created',
  'key.auto_generated': 'Key auto-generated',
  'key.revealed': 'Key revealed',
  'key.rotated': 'Key rotated',
  'key.revoked': 'Key revoked',
  'key.rotation_reminded': 'Rotation reminder sent',
  'key.identified': 'Key identified from its secret',
  'key.exposed': 'Secret reported leaked',
};

async function auditTab(panel: HTMLElement, integrationId: string, cursors: (string | null)[] = [null]) {
  const cursor = cursors.at(-1) ?? null;
  replace(panel, h('h2', {}, 'Audit'), h('p', {}, 'Loading…'));
  try {
    const page = await call<{ items: AuditEvent[]; nextCursor: string | null }>(
      'GET',
      `/integrations/${integrationId}/audit?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    replace(
      panel,
      h('h2', {}, 'Audit'),
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, 'Audit events, newest first'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            ['When', 'Who', 'What', 'Key', 'From', 'Details'].map((title) =>
              h('th', { scope: 'col' }, title),
            ),
          ),
        ),
        h(
          'tbody',
          {},
          page.items.map((event) =>
            h(
              'tr',
              {},
              h('td', {}, timeElement(event.at)),
              h('td', {}, event.actor),
              h('td', {}, ACTIONS[event.action] ?? event.action),
              h('td', {}, event.keyId ? h('code', {}, event.keyId) : '—'),
              h('td', {}, event.sourceIp),
              h(
                'td',
                {},
                Object.entries(event.details ?? {})
                  .map(([name, value]) => `${name}: ${value}`)
                  .join(', '),
              ),
            ),
          ),
        ),
      ),
      pager({
        previous:
          cursors.length > 1 ? () => void auditTab(panel, integrationId, cursors.slice(0, -1)) : undefined,
        next: page.nextCursor
          ? () => void auditTab(panel, integrationId, [...cursors, page.nextCursor])
          : undefined,
      }),
    );
  } catch (error) {
    replace(
      panel,
      h('h2', {}, 'Audit'),
      errorBox(error, () => void auditTab(panel, integrationId, cursors)),
    );
  }
}
