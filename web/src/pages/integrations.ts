import { call, isAdmin } from '../api.js';
import { h, replace, timeElement, uid } from '../dom.js';
import { busy, errorBox, pager } from './shared.js';

interface Integration {
  id: string;
  name: string;
  apiKey: string;
  createdAt: string;
  createdBy: string;
}

/** All integrations: a paged list, and (for admins) a form that creates one by name. */
export async function integrationsPage(main: HTMLElement, cursors: (string | null)[] = [null]) {
  const cursor = cursors.at(-1) ?? null;
  const list = h('div', {}, h('p', {}, 'Loading…'));
  const nameId = uid('name');
  const createError = h('div');
  const form = isAdmin()
    ? h(
        'form',
        {
          class: 'inline-form',
          novalidate: true,
          onsubmit: async (event: Event) => {
            event.preventDefault();
            const input = (event.target as HTMLFormElement).elements.namedItem('name') as HTMLInputElement;
            const name = input.value.trim();
            if (!name) {
              input.setAttribute('aria-invalid', 'true');
              createError.replaceChildren(
                h('p', { class: 'field-error', id: `${nameId}-error` }, 'Enter a name for the integration.'),
              );
              input.focus();
              return;
            }
            const button = (event.target as HTMLFormElement).querySelector('button') as HTMLButtonElement;
            const created = await busy(button, createError, () =>
              call<{ integration: Integration }>('POST', '/integrations', { name }),
            );
            if (created) location.hash = `#/integrations/${created.integration.id}`;
          },
        },
        h('label', { for: nameId }, 'New integration name'),
        h('input', {
          id: nameId,
          name: 'name',
          maxlength: 100,
          required: true,
          'aria-describedby': `${nameId}-error`,
        }),
        h('button', { type: 'submit', class: 'primary' }, 'Create integration'),
        createError,
      )
    : null;
  replace(main, h('h1', {}, 'All integrations'), form, list);
  try {
    const page = await call<{ items: Integration[]; nextCursor: string | null }>(
      'GET',
      `/integrations?limit=25${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    );
    if (page.items.length === 0 && cursors.length === 1) {
      replace(
        list,
        h('p', {}, isAdmin() ? 'No integrations yet. Create the first one above.' : 'No integrations yet.'),
      );
      return;
    }
    replace(
      list,
      h(
        'table',
        {},
        h('caption', { class: 'visually-hidden' }, 'Integrations'),
        h(
          'thead',
          {},
          h(
            'tr',
            {},
            h('th', { scope: 'col' }, 'Name'),
            h('th', { scope: 'col' }, 'Created'),
            h('th', { scope: 'col' }, 'Created by'),
          ),
        ),
        h(
          'tbody',
          {},
          page.items.map((integration) =>
            h(
              'tr',
              {},
              h('td', {}, h('a', { href: `#/integrations/${integration.id}` }, integration.name)),
              h('td', {}, timeElement(integration.createdAt)),
              h('td', {}, integration.createdBy),
            ),
          ),
        ),
      ),
      pager({
        previous: cursors.length > 1 ? () => void integrationsPage(main, cursors.slice(0, -1)) : undefined,
        next: page.nextCursor ? () => void integrationsPage(main, [...cursors, page.nextCursor]) : undefined,
      }),
    );
  } catch (error) {
    replace(
      list,
      errorBox(error, () => void integrationsPage(main, cursors)),
    );
  }
}
