import type * as z from 'zod/mini';
import { GSI1, GSI2, GSI3 } from './adapters/dynamodb/table.js';
import type { Purpose } from './domain/ports.js';
import * as R from './http/response-schemas.js';
import * as S from './http/schemas.js';

export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:Scan';

/** What a function may do, and nothing more; the CDK app turns this into its IAM policy. */
export interface Access {
  dynamodb: DynamoAction[];
  /** The table's index the function queries, if any (table.ts). */
  dynamodbIndex?: typeof GSI1 | typeof GSI2 | typeof GSI3;
  /** Reads the table's stream (as an event source). */
  dynamodbStream?: boolean;
  /** Publishes to the notification topic. */
  snsPublish?: boolean;
  /** Puts events on the EventBridge bus. */
  eventsPut?: boolean;
  /**
   * The audit anchors' Object Lock bucket, when the deploy turns anchoring on: `read` lists and gets
   * anchors, `write` also puts new ones. Never delete, never a retention change.
   */
  auditAnchors?: 'read' | 'write';
  /** Which encryption-context purposes the function may create data keys for. */
  kmsGenerate?: Purpose[];
  /** Which purposes the function may decrypt. Only reveal may decrypt `display`. */
  kmsDecrypt?: Purpose[];
}

export interface FunctionSpec {
  /** The file under functions/ that handles it. */
  handler: string;
  summary: string;
  access: Access;
  /**
   * Reserved concurrency: `kms-per-request` for functions that call KMS on every request (so a burst
   * cannot exhaust the account's KMS quota), `public` for a route anyone can call. Sizes are deploy options.
   */
  concurrency?: 'kms-per-request' | 'public';
  /** Lambda memory in MB; DEFAULT_MEMORY_MB unless the function needs more. */
  memoryMb?: number;
  /** Lambda timeout; FUNCTION_TIMEOUT_SECONDS unless the function is a job that needs longer. */
  timeoutSeconds?: number;
  /**
   * Whether Node maps stack traces through the bundle's source map at run time (`--enable-source-maps`).
   * The map is always in the artifact; loading it costs init time (the bench prints how much), so the
   * verification hot path, which scales out under bursts, goes without it. Default: on.
   */
  sourceMapsAtRuntime?: boolean;
}

/**
 * Every function is I/O-bound (a DynamoDB call or two, at most one KMS call, microseconds of AES/HMAC),
 * so all get 256 MB: a bigger size buys CPU they do not use and is billed per GB-second. The bench prices
 * GB-seconds with this figure. Worth re-checking with Lambda Power Tuning on a real account.
 */
export const DEFAULT_MEMORY_MB = 256;
export const memoryOf = (spec: Pick<FunctionSpec, 'memoryMb'>) => spec.memoryMb ?? DEFAULT_MEMORY_MB;
export const usesKms = (access: Access) => Boolean(access.kmsGenerate?.length || access.kmsDecrypt?.length);
export const timeoutOf = (spec: Pick<FunctionSpec, 'timeoutSeconds'>) =>
  spec.timeoutSeconds ?? FUNCTION_TIMEOUT_SECONDS;
export const sourceMapsAtRuntime = (spec: Pick<FunctionSpec, 'sourceMapsAtRuntime'>) =>
  spec.sourceMapsAtRuntime ?? true;

export interface RouteSpec extends FunctionSpec {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  /** No JWT: open to anyone (health, OpenAPI) or authenticated by a request signature. */
  public?: boolean;
  /** Who signs the requests of a public route the function authenticates itself. */
  signedBy?: 'integration' | 'github';
  /** Also routed for HEAD (load balancers' and uptime checks' liveness probes). */
  head?: boolean;
  signed?: boolean;
  access: Access;
  request?: { body?: z.core.$ZodType; params?: z.core.$ZodType; query?: z.core.$ZodType };
  /** API Gateway's limit for this route (requests per second, burst), below the stage-wide one. */
  throttle?: { rateLimit: number; burstLimit: number };
  responses: Record<number, { description: string; schema?: z.core.$ZodType; noStore?: boolean }>;
}

/** Every function's Lambda timeout; the local runtime gives its handlers the same remaining time. */
export const FUNCTION_TIMEOUT_SECONDS = 10;

const READ: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];

/** The dashboard API. One entry a route; the local server, the CDK app and the OpenAPI document read it. */
export const routes: RouteSpec[] = [
  {
    method: 'GET',
    path: '/health',
    handler: 'health',
    summary: 'Liveness check',
    public: true,
    head: true,
    access: { dynamodb: [] },
    responses: { 200: { description: 'The service is up', schema: R.Health } },
  },
  {
    method: 'GET',
    path: '/openapi.json',
    handler: 'openapi',
    summary: 'This API described as OpenAPI 3.1',
    public: true,
    access: { dynamodb: [] },
    responses: { 200: { description: 'The OpenAPI document' } },
  },
  {
    method: 'POST',
    path: '/integrations',
    handler: 'create-integration',
    summary: 'Create an integration; its first key is auto-generated and can be revealed once',
    concurrency: 'kms-per-request',
    throttle: { rateLimit: 10, burstLimit: 20 },
    access: { dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem'], kmsGenerate: ['display', 'signing'] },
    request: { body: S.CreateIntegrationBody },
    responses: {
      201: {
        description: 'The integration and its auto-generated key (no secret)',
        schema: R.IntegrationCreated,
      },
    },
  },
  {
    method: 'GET',
    path: '/integrations',
    handler: 'list-integrations',
    summary: "List the account's integrations",
    access: { dynamodb: ['dynamodb:Query'] },
    request: { query: S.PageQuery },
    responses: { 200: { description: 'A page of integrations', schema: R.IntegrationList } },
  },
  {
    method: 'GET',
    path: '/integrations/{integrationId}',
    handler: 'get-integration',
    summary: 'Get one integration',
    access: { dynamodb: ['dynamodb:GetItem'] },
    request: { params: S.IntegrationParams },
    responses: { 200: { description: 'The integration', schema: R.IntegrationView } },
  },
  {
    method: 'PATCH',
    path: '/integrations/{integrationId}',
    handler: 'update-integration',
    summary: 'Rename an integration or change whether it accepts legacy (untimestamped) signatures',
    access: { dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    request: { params: S.IntegrationParams, body: S.UpdateIntegrationBody },
    responses: { 200: { description: 'The integration as changed', schema: R.IntegrationView } },
  },
  {
    method: 'GET',
    path: '/integrations/{integrationId}/keys',
    handler: 'list-keys',
    summary: "List an integration's keys: metadata only, never a secret",
    access: { dynamodb: ['dynamodb:Query'] },
    request: { params: S.IntegrationParams },
    responses: { 200: { description: 'The keys', schema: R.KeyList } },
  },
  {
    method: 'POST',
    path: '/integrations/{integrationId}/keys',
    handler: 'create-key',
    summary: 'Create a named key; the response is the only time its secret is ever returned',
    concurrency: 'kms-per-request',
    throttle: { rateLimit: 10, burstLimit: 20 },
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      kmsGenerate: ['signing'],
    },
    request: { params: S.IntegrationParams, body: S.CreateKeyBody },
    responses: {
      201: {
        description: 'The key and its secret, shown this once',
        schema: R.SecretResponse,
        noStore: true,
      },
      409: { description: 'The integration has the maximum number of usable keys', schema: R.ErrorResponse },
    },
  },
  {
    method: 'POST',
    path: '/integrations/{integrationId}/keys/{keyId}/reveal',
    handler: 'reveal-key',
    summary: 'Reveal an auto-generated key: succeeds exactly once for the whole account',
    concurrency: 'kms-per-request',
    throttle: { rateLimit: 10, burstLimit: 20 },
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      kmsDecrypt: ['display'],
    },
    request: { params: S.KeyParams },
    responses: {
      200: {
        description: 'The key and its secret, shown this once',
        schema: R.SecretResponse,
        noStore: true,
      },
      410: { description: 'Key no longer viewable (with who revealed it and when)', schema: R.ErrorResponse },
      503: {
        description: 'A dependency failed before the reveal committed; the key is still viewable',
        schema: R.ErrorResponse,
      },
    },
  },
  {
    method: 'DELETE',
    path: '/integrations/{integrationId}/keys/{keyId}',
    handler: 'revoke-key',
    summary: 'Revoke a key now; it is kept, revoked, for the audit trail',
    access: { dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'] },
    request: { params: S.KeyParams },
    responses: { 200: { description: 'The revoked key', schema: R.KeyView } },
  },
  {
    method: 'POST',
    path: '/integrations/{integrationId}/keys/{keyId}/rotate',
    handler: 'rotate-key',
    concurrency: 'kms-per-request',
    throttle: { rateLimit: 10, burstLimit: 20 },
    summary:
      'Rotate: a successor key (secret shown once) and the old key expiring after an overlap (default 24 h)',
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      kmsGenerate: ['signing'],
    },
    request: { params: S.KeyParams, body: S.RotateKeyBody },
    responses: {
      201: {
        description: 'The successor and its secret, shown this once',
        schema: R.RotateResponse,
        noStore: true,
      },
      409: { description: 'The key is not active, or the integration is full', schema: R.ErrorResponse },
    },
  },
  {
    method: 'POST',
    path: '/v1/signature-check',
    handler: 'signature-check',
    summary:
      'For integrations: check a signed request (X-AUTH-CLIENT, X-HMAC-SIGNATURE, optional X-AUTH-TIMESTAMP)',
    public: true,
    signed: true,
    signedBy: 'integration',
    sourceMapsAtRuntime: false,
    // Anyone can call it and a cold key cache costs a KMS call: limited per route, per integration
    // (functions/signature-check.ts) and in concurrency.
    concurrency: 'public',
    throttle: { rateLimit: 20, burstLimit: 40 },
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      kmsDecrypt: ['signing'],
    },
    responses: {
      200: { description: 'The signature is valid', schema: R.SignatureCheckResponse },
      401: {
        description: 'The signature is not valid; the code and message say why',
        schema: R.ErrorResponse,
      },
      503: { description: 'Verification could not run; retry', schema: R.ErrorResponse },
    },
  },
  {
    method: 'POST',
    path: '/integrations/{integrationId}/keys/identify',
    handler: 'identify-key',
    summary:
      'Which key of this integration is this secret? Found by its fingerprint, nothing decrypted; audited',
    throttle: { rateLimit: 5, burstLimit: 10 },
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      dynamodbIndex: GSI3,
    },
    request: { params: S.IntegrationParams, body: S.IdentifyBody },
    responses: {
      200: { description: 'The key this secret belongs to', schema: R.IdentifiedKey },
      404: { description: 'No key of this integration has this secret', schema: R.ErrorResponse },
      429: { description: 'Too many lookups; retry later', schema: R.ErrorResponse },
    },
  },
  {
    method: 'POST',
    path: '/keys/identify',
    handler: 'identify-account-key',
    summary: 'Which key of the account is this secret? Found by its fingerprint, nothing decrypted; audited',
    throttle: { rateLimit: 5, burstLimit: 10 },
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      dynamodbIndex: GSI3,
    },
    request: { body: S.IdentifyBody },
    responses: {
      200: { description: 'The key this secret belongs to', schema: R.IdentifiedKey },
      404: { description: 'No key of the account has this secret', schema: R.ErrorResponse },
      429: { description: 'Too many lookups; retry later', schema: R.ErrorResponse },
    },
  },
  {
    method: 'GET',
    path: '/settings/leaks',
    handler: 'get-leak-settings',
    summary:
      "What the service does when one of the account's secrets is reported leaked: notify, revoke or rotate",
    access: { dynamodb: ['dynamodb:GetItem'] },
    responses: { 200: { description: 'The leak policy', schema: R.LeakSettings } },
  },
  {
    method: 'PUT',
    path: '/settings/leaks',
    handler: 'update-leak-settings',
    summary: "Set the account's leak policy (notify, revoke, rotate); audited",
    access: { dynamodb: ['dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
    request: { body: S.LeakSettingsBody },
    responses: { 200: { description: 'The leak policy as set', schema: R.LeakSettings } },
  },
  {
    method: 'POST',
    path: '/v1/secret-scanning/reports',
    handler: 'secret-scanning-report',
    summary:
      "GitHub's secret-scanning partner alerts (ECDSA-signed): each leaked secret of ours gets its account's leak policy",
    public: true,
    signedBy: 'github',
    concurrency: 'public',
    throttle: { rateLimit: 5, burstLimit: 10 },
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
      dynamodbIndex: GSI3,
      kmsGenerate: ['display', 'signing'],
    },
    responses: {
      200: { description: 'Feedback per token: true or false positive, by SHA-256', schema: R.LeakFeedback },
      401: { description: 'The report is not signed by GitHub', schema: R.ErrorResponse },
    },
  },
  {
    method: 'GET',
    path: '/settings/rotation',
    handler: 'get-rotation-settings',
    summary: "The account's rotation policy: rotation period and reminder interval, in days",
    access: { dynamodb: ['dynamodb:GetItem'] },
    responses: { 200: { description: 'The rotation policy', schema: R.RotationSettings } },
  },
  {
    method: 'PUT',
    path: '/settings/rotation',
    handler: 'update-rotation-settings',
    summary:
      "Set the account's rotation period (1-730 days) or reminder interval (1-90 days); every key's due date follows",
    access: { dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'] },
    request: { body: S.RotationSettingsBody },
    responses: { 200: { description: 'The rotation policy as set', schema: R.RotationSettings } },
  },
  {
    method: 'GET',
    path: '/integrations/{integrationId}/audit',
    handler: 'list-audit',
    summary: "An integration's audit events, newest first",
    access: { dynamodb: READ },
    request: { params: S.IntegrationParams, query: S.PageQuery },
    responses: { 200: { description: 'A page of audit events', schema: R.AuditList } },
  },
  {
    method: 'GET',
    path: '/integrations/{integrationId}/audit/verify',
    handler: 'verify-audit',
    summary:
      "Recompute the integration's audit hash chains (and compare them with the last anchor): ok, or the first break",
    access: { dynamodb: READ, auditAnchors: 'read' },
    request: { params: S.IntegrationParams },
    responses: { 200: { description: 'The verification report', schema: R.AuditVerification } },
  },
];

/** Internal functions: invoked directly with AWS credentials by the platform's services, not routed. */
export const internalFunctions: FunctionSpec[] = [
  {
    handler: 'verify-signature',
    sourceMapsAtRuntime: false,
    summary:
      '{ apiKey, signature, body (base64), timestamp?, method, path } → { valid, accountId, integrationId, keyId } or { valid: false, reason }',
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:UpdateItem'],
      kmsDecrypt: ['signing'],
    },
  },
  {
    handler: 'sign-webhook',
    sourceMapsAtRuntime: false,
    summary: '{ accountId, integrationId, payload, id? } → { headers, keyIds } for an outbound webhook',
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:Query'],
      dynamodbIndex: GSI1,
      kmsDecrypt: ['signing'],
    },
  },
];

/** Jobs: run by a schedule or an event source, never by a caller. Neither can decrypt anything. */
export const jobs: FunctionSpec[] = [
  {
    handler: 'remind-rotation',
    summary:
      'Daily: names the keys due for rotation, expiring or expired to each account, once per reminder interval',
    timeoutSeconds: 300,
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:BatchGetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      dynamodbIndex: GSI2,
      snsPublish: true,
      eventsPut: true,
    },
  },
  {
    handler: 'anchor-audit',
    summary:
      "Daily, when anchoring is on: verifies each integration's audit trail and writes its heads to the Object Lock bucket",
    timeoutSeconds: 900,
    access: {
      dynamodb: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan'],
      dynamodbIndex: GSI1,
      auditAnchors: 'write',
    },
  },
  {
    handler: 'publish-lifecycle',
    summary: 'The table stream: every audited change as an EventBridge lifecycle event',
    timeoutSeconds: 60,
    access: { dynamodb: [], dynamodbStream: true, eventsPut: true },
  },
];

/** Cognito triggers of the stack's own user pool (none with an external OIDC issuer). */
export const cognitoTriggers: FunctionSpec[] = [
  {
    handler: 'pre-token-generation',
    summary:
      'Cognito pre-token-generation: account_id and roles claims from the administrator-set attributes',
    access: { dynamodb: [] },
  },
];
