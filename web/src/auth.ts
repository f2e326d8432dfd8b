import { type DashboardConfig, sessionFromToken, setSession } from './api.js';

/**
 * Signing in. Locally: a form that asks the local runtime's token issuer (only there). Deployed:
 * Cognito's managed login with the authorization code flow and PKCE; the tokens stay in memory. Only
 * the PKCE verifier and state wait in sessionStorage during the redirect, and are removed on return.
 */
const PENDING = 'ssk-pkce';

const base64url = (bytes: Uint8Array) =>
  btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');

export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url(new Uint8Array(digest));
}

export async function startCognitoSignIn(auth: Extract<DashboardConfig['auth'], { mode: 'cognito' }>) {
  const verifier = base64url(crypto.getRandomValues(new Uint8Array(32)));
  const state = base64url(crypto.getRandomValues(new Uint8Array(16)));
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(`${auth.domain}/oauth2/authorize`);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: auth.clientId,
    redirect_uri: auth.redirectUri,
    scope: auth.scopes.join(' '),
    state,
    code_challenge: await pkceChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  location.assign(url.toString());
}

/** On the return from Cognito: trade the code for tokens, then take the code out of the URL. */
export async function finishCognitoSignIn(auth: Extract<DashboardConfig['auth'], { mode: 'cognito' }>) {
  const params = new URLSearchParams(location.search);
  const code = params.get('code');
  if (!code) return false;
  const pending = JSON.parse(sessionStorage.getItem(PENDING) ?? '{}') as {
    verifier?: string;
    state?: string;
  };
  sessionStorage.removeItem(PENDING);
  history.replaceState(null, '', location.pathname + location.hash);
  if (!pending.verifier || pending.state !== params.get('state'))
    throw new Error('The sign-in expired. Try again.');
  const response = await fetch(`${auth.domain}/oauth2/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'authorization_code',
      client_id: auth.clientId,
      code,
      redirect_uri: auth.redirectUri,
      code_verifier: pending.verifier,
    }),
  });
  if (!response.ok) throw new Error('Sign-in failed. Try again.');
  const tokens = (await response.json()) as { id_token?: string };
  if (!tokens.id_token) throw new Error('Sign-in failed. Try again.');
  setSession(sessionFromToken(tokens.id_token));
  return true;
}

export async function signInLocally(account: string, user: string, role: string) {
  const response = await fetch('/local/token', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ account, user, role }),
  });
  const body = (await response.json()) as { token?: string; error?: { message?: string } };
  if (!response.ok || !body.token) throw new Error(body.error?.message ?? 'Could not sign in.');
  setSession(sessionFromToken(body.token));
}
