import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { S3Client } from '@aws-sdk/client-s3';
import type { SNSClient } from '@aws-sdk/client-sns';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface AwsCall {
  service: 'dynamodb' | 'kms' | 'sns' | 'events' | 's3';
  /** The API operation, e.g. GetItem, TransactWriteItems, Decrypt. */
  operation: string;
  /** The command's input as the caller gave it (native values for DynamoDB). */
  input: Record<string, unknown>;
}

type Observed = DynamoDBDocumentClient | KMSClient | SNSClient | EventBridgeClient | S3Client;
let names = 0;

/**
 * Adds a middleware to a client's own stack that sees every call it sends (before the SDK retries
 * it): how tests and the bench record AWS calls, with no hook in production code. `around` may
 * change the input and read the output. Returns the function that removes it.
 */
export function observeCalls(
  client: Observed,
  service: AwsCall['service'],
  around: (call: AwsCall, next: () => Promise<Record<string, unknown>>) => Promise<Record<string, unknown>>,
): () => void {
  const name = `observe-${++names}`;
  const stack = client.middlewareStack as unknown as {
    add(middleware: unknown, options: { step: 'initialize'; name: string }): void;
    remove(name: string): boolean;
  };
  stack.add(
    (
      next: (args: unknown) => Promise<{ output: Record<string, unknown> }>,
      context: { commandName?: string },
    ) =>
      async (args: { input: Record<string, unknown> }) => {
        let result: { output: Record<string, unknown> } | undefined;
        const operation = (context.commandName ?? '').replace(/Command$/, '');
        await around({ service, operation, input: args.input }, async () => {
          result = await next(args);
          return result.output;
        });
        return result;
      },
    { step: 'initialize', name },
  );
  return () => {
    stack.remove(name);
  };
}

/** Records every call a block of work makes through `clients`. */
export async function callsDuring<T>(
  clients: { dynamodb?: DynamoDBDocumentClient; kms?: KMSClient },
  work: () => Promise<T>,
): Promise<{ result: T; calls: AwsCall[] }> {
  const calls: AwsCall[] = [];
  const record = async (call: AwsCall, next: () => Promise<Record<string, unknown>>) => {
    calls.push(call);
    return next();
  };
  const stops = [
    clients.dynamodb && observeCalls(clients.dynamodb, 'dynamodb', record),
    clients.kms && observeCalls(clients.kms, 'kms', record),
  ];
  try {
    return { result: await work(), calls };
  } finally {
    for (const stop of stops) stop?.();
  }
}
