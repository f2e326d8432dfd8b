import { createAwsJsonClient } from './aws-json.js';
import { type DocumentClient, createDocumentClient as documentClientOver } from './document-client.js';

/**
 * Client factories. Handlers call them once at module scope. Endpoints come from the standard
 * AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_KMS variables, which is how the local runtime points the
 * same code at DynamoDB Local and the KMS stand-in; credentials and region from the variables Lambda sets.
 */

export function createDocumentClient(): DocumentClient {
  return documentClientOver(
    createAwsJsonClient({
      service: 'dynamodb',
      maxAttempts: 3,
      connectionTimeoutMs: 1_000,
      requestTimeoutMs: 3_000,
    }),
  );
}

/**
 * Short timeouts: a KMS outage must turn into a fast 503 well inside the functions' 10 s timeout, not a
 * Lambda timeout (three attempts of at most 2 s each, plus backoff).
 */
export function createKmsClient() {
  return createAwsJsonClient({
    service: 'kms',
    maxAttempts: 3,
    connectionTimeoutMs: 1_000,
    requestTimeoutMs: 2_000,
  });
}
