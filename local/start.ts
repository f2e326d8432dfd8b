import { localIssuer } from './dev-auth.js';
import { internalOperations } from './internal.js';
import { createLocalServer, listen, loadRoutes } from './server.js';
import { closeServer, startEngines } from './stack.js';

/**
 * `npm start`: DynamoDB Local, the KMS stand-in, the table, and the API's handlers behind an API
 * Gateway-style server on 127.0.0.1:3000 (PORT overrides; DATA_DIR keeps data across restarts).
 */
// Local runs may use Node 20; the SDK's notice that it will need Node 22 after January 2027 is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const port = Number(process.env.PORT ?? 3000);
const engines = await startEngines({ dataDir: process.env.DATA_DIR || undefined });
const issuer = await localIssuer();
// Handlers read their configuration at import, exactly as at a Lambda cold start.
Object.assign(process.env, engines.env, issuer.env);
const { routes } = await import('../shared/routes.js');
const server = createLocalServer({
  routes: await loadRoutes(routes),
  authorize: issuer.verify,
  fallback: await internalOperations(),
});

let stopping = false;
async function stop(code: number) {
  if (stopping) return;
  stopping = true;
  await closeServer(server).catch(() => undefined);
  await engines.stop().catch(() => undefined);
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  const actual = await listen(server, port);
  process.stderr.write(
    [
      `Shared Secret Keys is listening on http://127.0.0.1:${actual}`,
      `  DynamoDB Local ${engines.dynamodb.endpoint} (${process.env.DATA_DIR ? `data in ${process.env.DATA_DIR}` : 'in memory'})`,
      `  KMS stand-in   ${engines.kms.endpoint}`,
      '  Get a token:   npm run token -- --account acme --user alice [--role viewer]',
      `  Internal:      POST http://127.0.0.1:${actual}/internal/verify-signature and /internal/sign-webhook (loopback only)`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n'),
  );
} catch (error) {
  process.stderr.write(`Could not listen on 127.0.0.1:${port}: ${(error as Error).message}\n`);
  await stop(1);
}
