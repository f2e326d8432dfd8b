/**
 * The API, as the dashboard uses it: the bearer token from memory (never stored), JSON in and out, and
 * every error turned into words a person can act on. A 503 says a retry is safe: nothing was changed.
 */
export interface DashboardConfig {
  apiUrl: string;
  auth:
    | { mode: 'local' }
    | { mode: 'cognito'; domain: string; clientId: string; redirectUri: string; scopes: string[] };
}

export interface Session {
  token: string;
  account: string;
  user: string;
  roles: string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly detail: Record<string, unknown> = {},
  ) {
    super(message);
  }
  /** Nothing was changed and the same request may simply be sent again. */
  get retryable() {
    return this.status === 503 || this.status === 0;
  }
}

const WORDS: Record<string, string> = {
  forbidden: "Your role can't do this. Ask an admin of your account.",
  integration_not_found: "This integration doesn't exist, or it isn't in your account.",
  key_not_found: "This key doesn't exist, or it isn't in your account.",
  too_many_keys: 'This integration already has the most usable keys it can have. Revoke one first.',
  key_not_active: 'Only an active key can be rotated.',
  key_no_longer_viewable: 'Key no longer viewable.',
  temporarily_unavailable: "The service couldn't finish this just now. Nothing was changed: try again.",
  rate_limited: 'Too many requests. Wait a moment and try again.',
  unauthorized: 'Your session has ended. Sign in again.',
};

let config: DashboardConfig | undefined;
let session: Session | undefined;
const listeners = new Set<() => void>();

export async function loadConfig(): Promise<DashboardConfig> {
  if (!config) {
    const response = await fetch('/config.json', { cache: 'no-store' });
    config = (await response.json()) as DashboardConfig;
  }
  return config;
}

export const currentSession = () => session;
export const isAdmin = () => Boolean(session?.roles.includes('admin'));
export function setSession(next: Session | undefined) {
  session = next;
  for (const listener of listeners) listener();
}
export const onSessionChange = (listener: () => void) => listeners.add(listener);

/** The claims of a token we were just given (already verified by the API on every call). */
export function sessionFromToken(token: string): Session {
  const payload = JSON.parse(
    atob((token.split('.')[1] ?? '').replace(/-/g, '+').replace(/_/g, '/')),
  ) as Record<string, unknown>;
  const roles = payload.roles ?? payload['custom:roles'] ?? [];
  return {
    token,
    account: String(payload.account_id ?? payload['custom:account_id'] ?? ''),
    user: String(payload.email ?? payload.sub ?? ''),
    roles: Array.isArray(roles) ? roles.map(String) : String(roles).split(/[\s,]+/),
  };
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const { apiUrl } = await loadConfig();
  let response: Response;
  try {
    response = await fetch(apiUrl + path, {
      method,
      headers: {
        ...(session ? { authorization: `Bearer ${session.token}` } : {}),
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: 'no-store',
      credentials: 'omit',
      referrerPolicy: 'no-referrer',
    });
  } catch {
    throw new ApiError(0, 'network', "Can't reach the service. Check your connection and try again.");
  }
  const text = await response.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : {};
  } catch {
    json = {};
  }
  if (response.ok) return json as T;
  if (response.status === 401) {
    setSession(undefined);
    throw new ApiError(401, 'unauthorized', WORDS.unauthorized ?? '');
  }
  const error = (json as { error?: { code?: string; message?: string } & Record<string, unknown> }).error;
  const code = error?.code ?? `http_${response.status}`;
  const message =
    WORDS[code] ??
    (response.status >= 500
      ? 'Something went wrong on our side. Nothing you did caused it; try again later.'
      : (error?.message ?? `The request was refused (${response.status}).`));
  throw new ApiError(response.status, code, message, error ?? {});
}
