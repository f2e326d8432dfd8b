import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createDynamoClient } from '../../shared/adapters/clients.js';
import { createDynamoStore } from '../../shared/adapters/dynamodb/store.js';

export interface FakeAnswer {
  status?: number;
  body?: unknown;
  /** Sent as is instead of `body` (a truncated or non-JSON answer). */
  raw?: string;
  /** Hold the answer this long (to provoke a client timeout). */
  delayMs?: number;
}

export interface FakeCall {
  operation: string;
  input: Record<string, unknown>;
  headers: IncomingMessage['headers'];
}

/**
 * An HTTP peer that answers AWS JSON-protocol calls (the operation from X-Amz-Target) with whatever the
 * test decides: for unit tests of the wire client and of the error policy, where a real engine cannot be
 * made to throttle or fail on cue. Behaviour of DynamoDB itself is proven against DynamoDB Local.
 */
export async function startFakeAws(respond: (call: FakeCall) => FakeAnswer = () => ({ body: {} })) {
  const calls: FakeCall[] = [];
  let responder = respond;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const call: FakeCall = {
        operation: target.split('.').pop() ?? '',
        input: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
        headers: request.headers,
      };
      calls.push(call);
      const answer = responder(call);
      setTimeout(() => {
        if (response.destroyed) return;
        response.writeHead(answer.status ?? 200, { 'content-type': 'application/x-amz-json-1.0' });
        response.end(answer.raw ?? (answer.body === undefined ? '' : JSON.stringify(answer.body)));
      }, answer.delayMs ?? 0);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    answer(next: (call: FakeCall) => FakeAnswer) {
      responder = next;
      calls.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** An AWS JSON error body, as DynamoDB and KMS send it. */
export const awsError = (code: string, message: string, extra: Record<string, unknown> = {}) => ({
  __type: `com.amazonaws.service#${code}`,
  message,
  ...extra,
});

/** The product's DynamoDB client, talking to a fake peer. */
export const dynamoClientOn = (endpoint: string, options: { maxAttempts?: number } = {}) =>
  createDynamoClient({
    region: 'us-east-1',
    endpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
    ...options,
  });

/** The product's DynamoDB store, with its own client, talking to a fake peer. */
export const storeOn = (endpoint: string, options: { maxAttempts?: number } = {}) =>
  createDynamoStore({ client: dynamoClientOn(endpoint, options), tableName: 't' });
