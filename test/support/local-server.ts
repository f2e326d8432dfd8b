import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../infra/paths.js';
import { localIssuer, newLocalKey } from '../../local/dev-auth.js';
import { findLeaks } from '../../reliability/leaks.js';

export interface RunningServer {
  url: string;
  /** The server's LOCAL_DIR: its outbox.jsonl and stack.json. */
  localDir: string;
  kmsEndpoint: string;
  dynamodbEndpoint: string;
  /** Everything the server process printed, stdout and stderr. */
  output(): string;
  token(account: string, user: string, role?: 'admin' | 'viewer', expiresIn?: string): Promise<string>;
  request(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Response>;
  /** Ctrl-C, as a user would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
  child: ChildProcess;
}

/** Starts `local/start.ts` — what `npm start` runs — as a separate process on a free port. */
export async function startLocalServer(
  extraEnv: Record<string, string> = {},
  options: { imports?: string[] } = {},
): Promise<RunningServer> {
  const key = extraEnv.LOCAL_JWT_KEY ?? (await newLocalKey());
  // Each server its own local folder (outbox, stack file), so test files running side by side stay apart.
  const localDir = extraEnv.LOCAL_DIR ?? mkdtempSync(join(tmpdir(), 'ssk-local-'));
  const imports = ['tsx', ...(options.imports ?? [])].flatMap((module) => ['--import', module]);
  const child = spawn(process.execPath, [...imports, 'local/start.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      PORT: '0',
      LOCAL_JWT_KEY: key,
      POWERTOOLS_LOG_LEVEL: 'DEBUG',
      LOCAL_DIR: localDir,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString('utf8');
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

  const deadline = Date.now() + 60_000;
  let url: string | undefined;
  while (!url) {
    url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1];
    if (child.exitCode !== null) throw new Error(`local server exited: ${output}`);
    if (Date.now() > deadline) throw new Error(`local server did not start: ${output}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const kmsEndpoint = /KMS stand-in\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '';
  const dynamodbEndpoint = /DynamoDB Local\s+(http:\/\/\S+)/.exec(output)?.[1] ?? '';
  const issuer = await localIssuer(key);
  const base = url;

  return {
    url: base,
    localDir,
    kmsEndpoint,
    dynamodbEndpoint,
    child,
    output: () => output,
    token: (account, user, role = 'admin', expiresIn) =>
      issuer.sign({ account, user, roles: [role], ...(expiresIn ? { expiresIn } : {}) }),
    request(path, init = {}) {
      const { token, json, headers, ...rest } = init;
      const merged = new Headers(headers);
      if (token) merged.set('authorization', `Bearer ${token}`);
      if (json !== undefined) merged.set('content-type', 'application/json');
      return fetch(base + path, {
        ...rest,
        headers: merged,
        body: json !== undefined ? JSON.stringify(json) : rest.body,
      });
    },
    async interrupt() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

/** The check every e2e file ends with: none of the secrets it was shown appear in the server's output. */
export function assertNoSecretsLogged(output: string, secrets: string[], tokens: string[] = []) {
  const leaks = [
    // Each secret as text and as a careless log line would encode it: hex, base64, base64url.
    ...secrets.filter((secret) => findLeaks(output, [secret]) > 0),
    ...tokens.filter((token) => output.includes(token)),
    ...(output.match(/ssk_[0-9A-Za-z]{20,}/g) ?? []),
    ...(output.match(/v1\.[\w-]{40,}\./g) ?? []),
  ];
  if (leaks.length > 0) throw new Error(`${leaks.length} secret-looking values in the server output`);
}
