import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fault-injecting HTTP proxy in front of DynamoDB Local: the service's own DynamoDB client talks to
 * it as to DynamoDB, and for the operations named it answers as DynamoDB does when it throttles, holds
 * a transaction, fails, or never answers — or it drops the connection before forwarding, or after
 * DynamoDB applied the write (the outcome the caller cannot know). No code of the project is mocked.
 */
export type DynamoFault =
  | 'none'
  | 'throttle'
  | 'conflict'
  | 'server-error'
  | 'timeout'
  | 'reset'
  | 'reset-after';

export interface FaultProxy {
  endpoint: string;
  /** Applies `fault` to the named operations (e.g. UpdateItem) `times` times (0: until set again). */
  set(fault: DynamoFault, operations?: string[], times?: number): void;
  /** Runs `before` when the next named operation arrives and `after` once DynamoDB answered it. */
  intercept(
    operation: string,
    hooks: { before?: () => Promise<'drop' | undefined>; after?: () => Promise<void> },
  ): void;
  /** Operations the proxy saw, in order. */
  seen: string[];
  close(): Promise<void>;
}

const TYPE = 'com.amazonaws.dynamodb.v20120810#';

async function readAll(stream: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startFaultProxy(upstream: string): Promise<FaultProxy> {
  const target = new URL(upstream);
  let fault: { kind: DynamoFault; operations?: Set<string>; left: number } = { kind: 'none', left: 0 };
  let hook:
    | { operation: string; before?: () => Promise<'drop' | undefined>; after?: () => Promise<void> }
    | undefined;
  const seen: string[] = [];

  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: Buffer }>((resolve, reject) => {
      const out = request(
        { host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers },
        (res) => {
          readAll(res).then(
            (data) => resolve({ status: res.statusCode ?? 500, headers: res.headers, body: data }),
            reject,
          );
        },
      );
      out.on('error', reject);
      out.end(body);
    });

  const answer = (res: ServerResponse, status: number, type: string, message: string) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
    res.end(JSON.stringify({ __type: `${TYPE}${type}`, message }));
  };

  const server = createServer(async (req, res) => {
    const body = await readAll(req);
    const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    seen.push(operation);
    try {
      const hit = fault.kind !== 'none' && (!fault.operations || fault.operations.has(operation));
      const kind = hit ? fault.kind : 'none';
      if (hit && fault.left > 0 && --fault.left === 0) fault = { kind: 'none', left: 0 };
      const intercepting = hook && hook.operation === operation ? hook : undefined;
      if (intercepting) hook = undefined;
      if (kind === 'throttle')
        return answer(res, 400, 'ThrottlingException', 'Rate of requests exceeds the allowed throughput.');
      if (kind === 'conflict') {
        return answer(res, 400, 'TransactionConflictException', 'Transaction is ongoing for the item');
      }
      if (kind === 'server-error') return answer(res, 500, 'InternalServerError', 'Internal server error');
      if (kind === 'timeout') {
        await new Promise((resolve) => setTimeout(resolve, 15_000));
        res.destroy();
        return;
      }
      if (kind === 'reset') {
        req.socket.destroy();
        return;
      }
      if ((await intercepting?.before?.()) === 'drop') {
        req.socket.destroy();
        return;
      }
      const upstreamAnswer = await forward(req, body);
      await intercepting?.after?.();
      if (kind === 'reset-after') {
        req.socket.destroy();
        return;
      }
      res.writeHead(upstreamAnswer.status, upstreamAnswer.headers);
      res.end(upstreamAnswer.body);
    } catch {
      if (!res.headersSent) answer(res, 500, 'InternalServerError', 'proxy failure');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    set(kind, operations, times = 0) {
      fault = { kind, operations: operations ? new Set(operations) : undefined, left: times };
    },
    intercept(operation, hooks) {
      hook = { operation, ...hooks };
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
