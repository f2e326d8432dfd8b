import { randomUUID } from 'node:crypto';
import { Sha256 } from '@smithy/core/checksum';
import { HttpRequest } from '@smithy/core/protocols';
import { NodeHttpHandler, streamCollector } from '@smithy/node-http-handler';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * A caller for the two AWS services this product uses, both of which speak the AWS JSON protocol
 * (one POST to `/`, the operation in `X-Amz-Target`, a JSON body, errors as `__type` + `message`).
 *
 * Why not the generated SDK clients: on the bench machine their schema/serde, endpoint-ruleset and
 * retry-strategy machinery costs ~85 ms of module init per function, above issue #5's 60 ms budget on
 * its own. This file keeps the parts that matter and takes them from the SDK itself: SigV4 signing
 * (`@smithy/signature-v4`), the Node HTTP handler with keep-alive and timeouts
 * (`@smithy/node-http-handler`) and, for DynamoDB, the SDK's marshaller (see document-client.ts).
 * What it adds is small: endpoint and credential resolution from the standard environment variables,
 * error decoding, and bounded retries with full-jitter backoff.
 */

export type Service = 'dynamodb' | 'kms';

const PROTOCOL: Record<Service, { target: string; contentType: string }> = {
  dynamodb: { target: 'DynamoDB_20120810', contentType: 'application/x-amz-json-1.0' },
  kms: { target: 'TrentService', contentType: 'application/x-amz-json-1.1' },
};

/** Error codes AWS uses for throttling; retried like 5xx and dropped connections. */
const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'TransactionInProgressException',
  'KMSInternalException',
]);
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** A service's error answer: `name` is its error code; extra fields of the body are kept (decoded). */
export class AwsServiceError extends Error {
  readonly statusCode: number;
  readonly retryable: boolean;
  declare readonly details: Record<string, unknown>;

  constructor(code: string, message: string, statusCode: number, details: Record<string, unknown> = {}) {
    super(message);
    this.name = code;
    this.statusCode = statusCode;
    this.retryable = statusCode >= 500 || THROTTLING.has(code);
    // Not enumerable: a logger that serializes the error must not copy out the items a failed
    // condition returns (they hold ciphertexts).
    Object.defineProperty(this, 'details', { value: details, enumerable: false });
  }
}

export function isRetryableAwsError(error: unknown): boolean {
  if (error instanceof AwsServiceError) return error.retryable;
  if (!(error instanceof Error)) return false;
  return error.name === 'TimeoutError' || NETWORK_CODES.has((error as { code?: string }).code ?? '');
}

export interface AwsCall {
  service: Service;
  operation: string;
  input: Record<string, unknown>;
}

/**
 * Wraps every call of every client (the benchmark counts calls and capacity this way). Empty in
 * production; an interceptor must call `next` exactly once and return its result.
 */
export type Interceptor = (
  call: AwsCall,
  next: () => Promise<Record<string, unknown>>,
) => Promise<Record<string, unknown>>;
export const interceptors: Interceptor[] = [];

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

export interface AwsJsonClientOptions {
  service: Service;
  /** Defaults to AWS_REGION, then AWS_DEFAULT_REGION. */
  region?: string;
  /** Defaults to AWS_ENDPOINT_URL_<SERVICE>, then AWS_ENDPOINT_URL, then the regional endpoint. */
  endpoint?: string;
  /** Defaults to the AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN Lambda provides. */
  credentials?: Credentials;
  /** Attempts per call, first included. */
  maxAttempts?: number;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Backoff before attempt n+1 is a random wait in [0, min(maxDelay, base × 2^n)). */
  retryBaseDelayMs?: number;
}

export interface AwsJsonClient {
  readonly service: Service;
  call<T = Record<string, unknown>>(operation: string, input: Record<string, unknown>): Promise<T>;
  destroy(): void;
}

const MAX_RETRY_DELAY_MS = 5_000;

function environment(name: string): string | undefined {
  const value = process.env[name];
  return value === undefined || value === '' ? undefined : value;
}

export function resolveEndpoint(service: Service, region: string, endpoint?: string): URL {
  const configured =
    endpoint ?? environment(`AWS_ENDPOINT_URL_${service.toUpperCase()}`) ?? environment('AWS_ENDPOINT_URL');
  if (configured) return new URL(configured);
  const fips = environment('AWS_USE_FIPS_ENDPOINT') === 'true' ? '-fips' : '';
  const suffix = region.startsWith('cn-') ? 'amazonaws.com.cn' : 'amazonaws.com';
  return new URL(`https://${service}${fips}.${region}.${suffix}`);
}

function credentialsFromEnvironment(): Credentials {
  const accessKeyId = environment('AWS_ACCESS_KEY_ID');
  const secretAccessKey = environment('AWS_SECRET_ACCESS_KEY');
  if (!accessKeyId || !secretAccessKey) {
    throw new Error('AWS credentials missing: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY');
  }
  const sessionToken = environment('AWS_SESSION_TOKEN');
  return sessionToken ? { accessKeyId, secretAccessKey, sessionToken } : { accessKeyId, secretAccessKey };
}

/** `com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException` → `ConditionalCheckFailedException`. */
function errorCode(raw: unknown, header: string | undefined): string {
  const value = typeof raw === 'string' && raw ? raw : (header ?? '');
  const code = value.split('#').pop()?.split(':')[0]?.trim();
  return code || 'UnknownError';
}

function decodeError(statusCode: number, headers: Record<string, string>, text: string): AwsServiceError {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // not JSON (a proxy's page, an empty body): the status code decides
  }
  const code = errorCode(body.__type, headers['x-amzn-errortype']);
  const message =
    typeof body.message === 'string' ? body.message : typeof body.Message === 'string' ? body.Message : code;
  const { __type: _type, message: _m, Message: _M, ...details } = body;
  return new AwsServiceError(code, message, statusCode, details);
}

/** The JSON protocols carry blobs as base64 strings. */
function blobsAsBase64(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const original = this[key];
  return original instanceof Uint8Array ? Buffer.from(original).toString('base64') : value;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createAwsJsonClient(options: AwsJsonClientOptions): AwsJsonClient {
  const { service } = options;
  const protocol = PROTOCOL[service];
  const region =
    options.region ?? environment('AWS_REGION') ?? environment('AWS_DEFAULT_REGION') ?? 'us-east-1';
  const maxAttempts = Math.max(1, options.maxAttempts ?? 3);
  const baseDelay = options.retryBaseDelayMs ?? 50;
  const http = new NodeHttpHandler({
    connectionTimeout: options.connectionTimeoutMs ?? 1_000,
    requestTimeout: options.requestTimeoutMs ?? 3_000,
    throwOnRequestTimeout: true,
  });
  let signer: SignatureV4 | undefined;
  let endpoint: URL | undefined;

  function signerFor(): SignatureV4 {
    // Built on first use, so a process that sets its environment after import (the local runtime) works.
    signer ??= new SignatureV4({
      service,
      region,
      sha256: Sha256,
      credentials: async () => options.credentials ?? credentialsFromEnvironment(),
    });
    return signer;
  }

  async function once(operation: string, body: string): Promise<Record<string, unknown>> {
    endpoint ??= resolveEndpoint(service, region, options.endpoint);
    const request = new HttpRequest({
      method: 'POST',
      protocol: endpoint.protocol,
      hostname: endpoint.hostname,
      port: endpoint.port ? Number(endpoint.port) : undefined,
      path: endpoint.pathname || '/',
      headers: {
        host: endpoint.host,
        'content-type': protocol.contentType,
        'x-amz-target': `${protocol.target}.${operation}`,
      },
      body,
    });
    const signed = await signerFor().sign(request);
    const { response } = await http.handle(signed as HttpRequest);
    const bytes = await streamCollector(response.body);
    const text = Buffer.from(bytes).toString('utf8');
    if (response.statusCode >= 200 && response.statusCode < 300) {
      try {
        return text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        // JSON.parse's message quotes the input, which may hold key material: say nothing of it.
        throw new AwsServiceError('InvalidResponse', `${service} answered with a body that is not JSON`, 502);
      }
    }
    throw decodeError(response.statusCode, response.headers, text);
  }

  async function withRetries(call: AwsCall): Promise<Record<string, unknown>> {
    // Serialized once: every attempt resends the same body, so an idempotency token in it holds.
    const body = JSON.stringify(call.input, blobsAsBase64);
    for (let attempt = 1; ; attempt++) {
      try {
        return await once(call.operation, body);
      } catch (error) {
        if (attempt >= maxAttempts || !isRetryableAwsError(error)) throw error;
        await sleep(Math.random() * Math.min(MAX_RETRY_DELAY_MS, baseDelay * 2 ** attempt));
      }
    }
  }

  return {
    service,
    async call<T>(operation: string, input: Record<string, unknown>): Promise<T> {
      const call: AwsCall = {
        service,
        operation,
        input:
          operation === 'TransactWriteItems' && input.ClientRequestToken === undefined
            ? { ...input, ClientRequestToken: randomUUID() }
            : input,
      };
      const run = interceptors.reduceRight<() => Promise<Record<string, unknown>>>(
        (next, intercept) => () => intercept(call, next),
        () => withRetries(call),
      );
      return (await run()) as T;
    },
    destroy() {
      http.destroy();
    },
  };
}
