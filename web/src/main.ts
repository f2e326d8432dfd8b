import { currentSession, loadConfig, onSessionChange, setSession } from './api.js';
import { finishCognitoSignIn } from './auth.js';
import { h, replace } from './dom.js';
import { integrationPage } from './pages/integration.js';
import { integrationsPage } from './pages/integrations.js';
import { settingsPage } from './pages/settings.js';
import { errorBox } from './pages/shared.js';
import { signInPage } from './pages/signin.js';

/**
 * The dashboard: plain DOM and a hash router. Routes hold ids only, never a secret. The session lives
 * in memory: a reload signs out, which is the price of keeping tokens out of storage.
 */
const main = document.getElementById('main') as HTMLElement;
const top = document.getElementById('top') as HTMLElement;

function header() {
  const session = currentSession();
  replace(
    top,
    h(
      'nav',
      { 'aria-label': 'Main' },
      h('a', { class: 'brand', href: '#/integrations' }, 'Shared Secret Keys'),
      session ? h('a', { href: '#/integrations' }, 'All integrations') : null,
      session ? h('a', { href: '#/settings' }, 'Rotation settings') : null,
      session
        ? h(
            'span',
            { class: 'who' },
            `${session.user} · ${session.account} · ${session.roles.join(', ')} `,
            h('button', { type: 'button', class: 'link', onclick: () => setSession(undefined) }, 'Sign out'),
          )
        : null,
    ),
  );
}

async function route() {
  const config = await loadConfig();
  header();
  if (!currentSession()) {
    signInPage(main, config);
    return;
  }
  const path = location.hash.replace(/^#/, '') || '/integrations';
  const integration = /^\/integrations\/(int_[0-9A-Z]+)(\/audit)?$/.exec(path);
  if (integration?.[1]) await integrationPage(main, integration[1], integration[2] ? 'audit' : 'keys');
  else if (path === '/settings') await settingsPage(main);
  else await integrationsPage(main);
  main.focus({ preventScroll: true });
}

window.addEventListener('hashchange', () => void route());
onSessionChange(() => void route());

try {
  const config = await loadConfig();
  if (config.auth.mode === 'cognito') await finishCognitoSignIn(config.auth);
  await route();
} catch (error) {
  replace(main, h('h1', {}, 'Shared Secret Keys'), errorBox(error));
}
