import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rename, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from '../infra/paths.js';

/**
 * AWS's own DynamoDB Local, taken from the jar that the npm package amplify-dynamodb-simulator ships.
 * `npm pack` fetches only that package's tarball (no dependency tree); both hashes are pinned.
 */
const PACKAGE = 'amplify-dynamodb-simulator@2.9.30';
const TARBALL_SHA256 = '3503ffac19f183407909fecdacf4db51ab1fdad1da7b2f177016670b2d80e4b9';
const JAR_SHA256 = '454305e9bc3e6ebcca5b62569869e31563b8d7e346474e94557b2600702146c7';
const run = promisify(execFile);

const INSTALL_DIR = join(ROOT, '.local', 'dynamodb-local', '2.9.30');

async function sha256(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

/** Downloads and verifies DynamoDB Local once; later calls reuse the git-ignored copy. */
export async function ensureDynamoDbLocal(): Promise<string> {
  const jar = join(INSTALL_DIR, 'DynamoDBLocal.jar');
  if (existsSync(jar)) return INSTALL_DIR;
  await mkdir(join(ROOT, '.local'), { recursive: true });
  process.stderr.write(
    `First start: fetching DynamoDB Local once (npm pack ${PACKAGE}, about 10 s; kept in .local/)…\n`,
  );
  const work = await mkdtemp(join(ROOT, '.local', 'ddb-download-'));
  try {
    const { stdout } = await run('npm', ['pack', PACKAGE, '--pack-destination', work, '--silent'], {
      cwd: work,
      maxBuffer: 1 << 20,
    });
    const tarball = join(work, stdout.trim().split('\n').pop() ?? '');
    const actual = await sha256(tarball);
    if (actual !== TARBALL_SHA256)
      throw new Error(`${PACKAGE} tarball sha256 ${actual} does not match the pinned hash`);
    await run('tar', ['xzf', tarball, '-C', work, 'package/emulator']);
    const extractedJar = join(work, 'package', 'emulator', 'DynamoDBLocal.jar');
    const jarHash = await sha256(extractedJar);
    if (jarHash !== JAR_SHA256)
      throw new Error(`DynamoDBLocal.jar sha256 ${jarHash} does not match the pinned hash`);
    await mkdir(join(INSTALL_DIR, '..'), { recursive: true });
    try {
      await rename(join(work, 'package', 'emulator'), INSTALL_DIR);
    } catch (error) {
      // Another process installed it first: theirs is as good as ours.
      if (!existsSync(jar)) throw error;
    }
    return INSTALL_DIR;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * True only when DynamoDB itself answers on the port: a foreign server on a busy port must not pass for
 * it (DynamoDB Local hangs rather than exiting when it cannot bind).
 */
async function answersAsDynamoDb(endpoint: string): Promise<boolean> {
  try {
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(1_000),
    });
    const text = await response.text();
    return text.includes('TableNames') || text.includes('com.amazonaws.dynamodb');
  } catch {
    return false;
  }
}

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  stop(): Promise<void>;
}

/**
 * Starts DynamoDB Local on a free loopback port. In memory unless `dataDir` is given. Its native-library
 * copies go to a private temp folder that stop() removes.
 */
export async function startDynamoDbLocal(
  options: { dataDir?: string; port?: number; readyTimeoutMs?: number } = {},
): Promise<DynamoDbLocal> {
  const home = await ensureDynamoDbLocal();
  const port = options.port ?? (await freePort());
  const javaTmp = await mkdtemp(join(tmpdir(), 'ssk-ddb-'));
  const storage = options.dataDir ? ['-dbPath', options.dataDir] : ['-inMemory'];
  if (options.dataDir) await mkdir(options.dataDir, { recursive: true });
  const child: ChildProcess = spawn(
    'java',
    [
      '-Xmx256m',
      `-Djava.io.tmpdir=${javaTmp}`,
      `-Djava.library.path=${join(home, 'DynamoDBLocal_lib')}`,
      '-jar',
      'DynamoDBLocal.jar',
      ...storage,
      '-sharedDb',
      '-port',
      String(port),
    ],
    { cwd: home, env: { ...process.env, DDB_LOCAL_TELEMETRY: '0' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    if (output.length < 8192) output += chunk.toString('utf8');
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  // If this process dies without stopping it (a crash, an uncaught error), do not leave the JVM behind.
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);

  const stop = async () => {
    process.removeListener('exit', killOnExit);
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(javaTmp, { recursive: true, force: true });
  };

  const endpoint = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  while (!(await answersAsDynamoDb(endpoint))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await stop();
      throw new Error(`DynamoDB Local exited during start: ${output.trim()}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`DynamoDB Local did not answer on port ${port} (is the port busy?): ${output.trim()}`);
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
  return { endpoint, port, stop };
}
