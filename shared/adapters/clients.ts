import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * SDK client factories. Handlers call them once at module scope. Endpoints come from the SDK's own
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_KMS variables, which is how the local runtime points the
 * same code at DynamoDB Local and the KMS stand-in.
 */

/** Observers of every client the handlers create: how the benchmark counts calls. Empty in production. */
export const clientObservers: Array<(client: DynamoDBClient | KMSClient) => void> = [];

export function createDocumentClient(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
  for (const observe of clientObservers) observe(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/**
 * Short timeouts: a KMS outage must turn into a fast 503 well inside the functions' 10 s timeout, not a
 * Lambda timeout (three attempts of at most 2 s each, plus backoff).
 */
export function createKmsClient(): KMSClient {
  const client = new KMSClient({
    maxAttempts: 3,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 2_000 },
  });
  for (const observe of clientObservers) observe(client);
  return client;
}
