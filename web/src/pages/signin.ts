import type { DashboardConfig } from '../api.js';
import { signInLocally, startCognitoSignIn } from '../auth.js';
import { h, replace, uid } from '../dom.js';
import { errorBox } from './shared.js';

/** Signing in: the local runtime's own form, or the button to Cognito's managed login. */
export function signInPage(main: HTMLElement, config: DashboardConfig) {
  if (config.auth.mode === 'cognito') {
    const auth = config.auth;
    replace(
      main,
      h('h1', {}, 'Sign in'),
      h(
        'button',
        { type: 'button', class: 'primary', onclick: () => void startCognitoSignIn(auth) },
        'Sign in',
      ),
    );
    return;
  }
  const ids = { account: uid('account'), user: uid('user'), role: uid('role') };
  const errors = h('div');
  const form = h(
    'form',
    {
      class: 'signin',
      onsubmit: async (event: Event) => {
        event.preventDefault();
        const values = new FormData(event.target as HTMLFormElement);
        try {
          await signInLocally(
            String(values.get('account')),
            String(values.get('user')),
            String(values.get('role')),
          );
          if (!location.hash || location.hash === '#/') location.hash = '#/integrations';
        } catch (error) {
          errors.replaceChildren(errorBox(error));
        }
      },
    },
    h(
      'div',
      { class: 'field' },
      h('label', { for: ids.account }, 'Account'),
      h('input', { id: ids.account, name: 'account', value: 'acme', required: true, autocomplete: 'off' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: ids.user }, 'User'),
      h('input', { id: ids.user, name: 'user', value: 'alice', required: true, autocomplete: 'off' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: ids.role }, 'Role'),
      h(
        'select',
        { id: ids.role, name: 'role' },
        h('option', { value: 'admin' }, 'admin'),
        h('option', { value: 'viewer' }, 'viewer'),
      ),
    ),
    h('button', { type: 'submit', class: 'primary' }, 'Sign in'),
    errors,
  );
  replace(
    main,
    h('h1', {}, 'Sign in (local)'),
    h(
      'p',
      { class: 'muted' },
      'The local runtime signs a token for whoever you say you are. The deployed dashboard signs in with Cognito instead.',
    ),
    form,
  );
}
