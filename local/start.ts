import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { localDashboard } from './dashboard.js';
import { localIssuer } from './dev-auth.js';
import { internalOperations } from './internal.js';
import { outboxLine } from './notify-standin.js';
import { LOCAL_DIR, OUTBOX_FILE, STACK_FILE, STREAM_FAILURES_FILE } from './paths.js';
import { localScanningKeys } from './scanning-keys.js';
import { createLocalServer, lambdaContext, listen, loadRoutes } from './server.js';
import { closeServer, startEngines } from './stack.js';
import { type LocalStack, writeStackFile } from './stack-file.js';
import { startStreamReader } from './stream-reader.js';

/**
 * `npm start`: DynamoDB Local, the KMS stand-in, the SNS/EventBridge stand-in (the outbox), the table,
 * its stream read into the lifecycle-event consumer, and the API's handlers behind an API Gateway-style
 * server on 127.0.0.1:3000 (PORT overrides; DATA_DIR keeps data across restarts).
 */
// Local runs may use Node 20; the SDK's notice that it will need Node 22 after January 2027 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(process.env.PORT ?? 3000);
const engines = await startEngines({
  dataDir: process.env.DATA_DIR || undefined,
  onOutbox: (entry) => process.stderr.write(`${outboxLine(entry)}\n`),
});
const issuer = await localIssuer();
// Handlers read their configuration at import, exactly as at a Lambda cold start.
Object.assign(process.env, engines.env, issuer.env, {
  SECRET_SCANNING_KEYS_FILE: localScanningKeys(join(LOCAL_DIR, 'secret-scanning')).file,
});
const { routes } = await import('../shared/routes.js');
const internal = await internalOperations();
const dashboard = localDashboard(issuer);
const server = createLocalServer({
  routes: await loadRoutes(routes),
  authorize: issuer.verify,
  fallback: async (req, res, body) => (await internal(req, res, body)) || dashboard(req, res, body),
});
const consumer = (await import('../functions/publish-lifecycle.js')) as {
  handler: (event: DynamoDBStreamEvent, context: unknown) => Promise<DynamoDBBatchResponse>;
};
mkdirSync(dirname(STREAM_FAILURES_FILE), { recursive: true });
const stream = await startStreamReader({
  endpoint: engines.dynamodb.endpoint,
  tableName: engines.tableName,
  failuresFile: STREAM_FAILURES_FILE,
  deliver: (event) => consumer.handler(event, lambdaContext('publish-lifecycle', randomUUID())),
  onError: (error) =>
    process.stderr.write(`  [stream] ${(error as Error).name}: ${(error as Error).message}\n`),
});

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  rmSync(STACK_FILE, { force: true });
  await stream.stop().catch(() => undefined);
  await closeServer(server).catch(() => undefined);
  await engines.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const actual = await listen(server, port);
  const stack: LocalStack = {
    pid: process.pid,
    url: `http://127.0.0.1:${actual}`,
    env: engines.env,
  };
  writeStackFile(stack);
  process.stderr.write(
    [
      `Shared Secret Keys is listening on http://127.0.0.1:${actual}`,
      `  Dashboard:     http://127.0.0.1:${actual}/ (sign in as any account, user and role)`,
      `  DynamoDB Local ${engines.dynamodb.endpoint} (${process.env.DATA_DIR ? `data in ${process.env.DATA_DIR}` : 'in memory'})`,
      `  KMS stand-in   ${engines.kms.endpoint}`,
      `  SNS/EventBridge stand-in ${engines.notify.endpoint}: notifications and lifecycle events go to ${OUTBOX_FILE}`,
      '  Get a token:   npm run token -- --account acme --user alice [--role viewer]',
      `  Internal:      POST http://127.0.0.1:${actual}/internal/verify-signature and /internal/sign-webhook (loopback only)`,
      '  Reminders:     npm run remind [-- --now 2027-03-01T09:00:00Z] runs the daily job once',
      `  Audit:         npm run audit:verify -- --account acme; npm run audit:anchor anchors every head (S3 stand-in ${engines.s3.endpoint})`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  process.stderr.write(`Could not listen on 127.0.0.1:${port}: ${(error as Error).message}\n`);
  await stop(1);
}
