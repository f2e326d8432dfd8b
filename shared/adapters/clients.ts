import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The AWS clients, official SDK v3, each created once at module scope by the handler that needs it.
 * Endpoints come from the standard AWS_ENDPOINT_URL_DYNAMODB / AWS_ENDPOINT_URL_KMS variables, which is
 * how the local runtime points the same code at DynamoDB Local and the KMS stand-in; region and
 * credentials from the variables Lambda sets.
 *
 * Timeouts are short and thrown (not only warned about), and each call also carries the request's
 * deadline as its abort signal (shared/runtime/deadline.ts), so retries never outlast the function.
 */
const COMMON = { maxAttempts: 3, retryMode: 'standard' } as const;

/** A connection within 1 s and an answer within `requestTimeout`, or the call fails (and may be retried). */
const timeouts = (requestTimeout: number) => ({
  connectionTimeout: 1_000,
  requestTimeout,
  throwOnRequestTimeout: true,
});

export interface ClientOptions {
  /** Tests point a client at an engine explicitly; functions leave both to the environment. */
  endpoint?: string;
  region?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string };
  maxAttempts?: number;
}

export function createDynamoClient(options: ClientOptions = {}): DynamoDBDocumentClient {
  const client = new DynamoDBClient({
    ...COMMON,
    ...options,
    requestHandler: timeouts(3_000),
  });
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: false },
  });
}

/**
 * A KMS outage must turn into a fast 503 well inside the functions' 10 s timeout, not a Lambda
 * timeout: three attempts of at most 2 s each, plus backoff, and the deadline above them.
 */
export function createKmsClient(options: ClientOptions = {}): KMSClient {
  return new KMSClient({
    ...COMMON,
    ...options,
    requestHandler: timeouts(2_000),
  });
}

/** The notification clients of the jobs (reminders, lifecycle events): endpoints from AWS_ENDPOINT_URL_SNS / _EVENTBRIDGE. */
export function createSnsClient(options: ClientOptions = {}): SNSClient {
  return new SNSClient({
    ...COMMON,
    ...options,
    requestHandler: timeouts(3_000),
  });
}

export function createEventBridgeClient(options: ClientOptions = {}): EventBridgeClient {
  return new EventBridgeClient({
    ...COMMON,
    ...options,
    requestHandler: timeouts(3_000),
  });
}

/**
 * The audit anchors' bucket (AWS_ENDPOINT_URL_S3 locally, where the stand-in is addressed by path).
 * S3 adds a CRC checksum to every upload by default, which Object Lock requires of a PUT.
 */
export function createS3Client(options: ClientOptions = {}): S3Client {
  return new S3Client({
    ...COMMON,
    ...options,
    // Path-style requests for an S3 at an endpoint of its own (the local stand-in). The stand-in is reached
    // by IP address, for which the SDK uses path style anyway, so no test here can tell these apart.
    // Stryker disable next-line ConditionalExpression,LogicalOperator,EqualityOperator: the stand-in is reached by IP address, for which the SDK uses path style whatever this says, so no test can tell the variants apart
    forcePathStyle: process.env.AWS_ENDPOINT_URL_S3 !== undefined || options.endpoint !== undefined,
    requestHandler: timeouts(3_000),
  });
}

let dynamo: DynamoDBDocumentClient | undefined;
let kms: KMSClient | undefined;

/**
 * The process's clients, made on first use (after the local runtime has set its environment) and then
 * shared by every handler in the process: one per Lambda container, one for all handlers locally.
 * Tests and the bench observe calls by adding a middleware to these clients' middleware stacks.
 */
export function dynamoClient(): DynamoDBDocumentClient {
  dynamo ??= createDynamoClient();
  return dynamo;
}

export function kmsClient(): KMSClient {
  kms ??= createKmsClient();
  return kms;
}

let sns: SNSClient | undefined;
let events: EventBridgeClient | undefined;

export function snsClient(): SNSClient {
  sns ??= createSnsClient();
  return sns;
}

export function eventBridgeClient(): EventBridgeClient {
  events ??= createEventBridgeClient();
  return events;
}

let s3: S3Client | undefined;

export function s3Client(): S3Client {
  s3 ??= createS3Client();
  return s3;
}
