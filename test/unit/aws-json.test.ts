import aws4 from 'aws4';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { AwsServiceError, createAwsJsonClient, resolveEndpoint } from '../../shared/adapters/aws-json.js';
import { awsError, startFakeAws } from '../support/fake-aws.js';

// The wire client on its own, against an HTTP peer that answers on cue. (DynamoDB Local and the KMS
// stand-in run the same client in test/connected.)
let peer: Awaited<ReturnType<typeof startFakeAws>>;
beforeAll(async () => {
  peer = await startFakeAws();
});
afterAll(() => peer.close());
afterEach(() => vi.unstubAllEnvs());

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI', sessionToken: 'session' };
const client = (service: 'dynamodb' | 'kms', extra = {}) =>
  createAwsJsonClient({ service, region: 'eu-west-1', endpoint: peer.endpoint, credentials, ...extra });

describe('AWS JSON client', () => {
  it('sends a SigV4-signed JSON call with the service target and content type', async () => {
    peer.answer(() => ({ body: { Item: { pk: { S: 'a' } } } }));
    const output = await client('dynamodb').call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } });
    expect(output).toEqual({ Item: { pk: { S: 'a' } } });
    const [call] = peer.calls;
    expect(call?.input).toEqual({ TableName: 't', Key: { pk: { S: 'a' } } });
    expect(call?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
    expect(call?.headers['content-type']).toBe('application/x-amz-json-1.0');
    expect(call?.headers['x-amz-security-token']).toBe('session');
    expect(call?.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/dynamodb\/aws4_request, SignedHeaders=[\w;-]*x-amz-target[\w;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(call?.headers.authorization).not.toContain('wJalrXUtnFEMI');

    peer.answer(() => ({ body: { KeyId: 'k', CiphertextBlob: 'AQID' } }));
    await client('kms').call('Encrypt', { KeyId: 'k', Plaintext: new Uint8Array([1, 2, 3]) });
    expect(peer.calls[0]?.headers['x-amz-target']).toBe('TrentService.Encrypt');
    expect(peer.calls[0]?.headers['content-type']).toBe('application/x-amz-json-1.1');
    // Blobs travel as base64, as the JSON protocols define them.
    expect(peer.calls[0]?.input.Plaintext).toBe('AQID');
  });

  it('signs exactly as an independent SigV4 implementation (aws4) does for the same request', async () => {
    peer.answer(() => ({ body: {} }));
    const input = { KeyId: 'alias/x', CiphertextBlob: 'AQID', EncryptionContext: { purpose: 'display' } };
    await client('kms').call('Decrypt', input);
    const [call] = peer.calls;
    const authorization = String(call?.headers.authorization);
    const signedHeaders = /SignedHeaders=([^,]+)/.exec(authorization)?.[1]?.split(';') ?? [];
    expect(signedHeaders).toEqual(
      expect.arrayContaining(['host', 'x-amz-date', 'x-amz-target', 'content-type']),
    );
    const headers = Object.fromEntries(signedHeaders.map((name) => [name, String(call?.headers[name])]));
    const reference = aws4.sign(
      {
        method: 'POST',
        host: String(call?.headers.host),
        path: '/',
        service: 'kms',
        region: 'eu-west-1',
        headers,
        body: JSON.stringify(input),
        // Sign just the headers that were signed: no Content-Length of aws4's own.
        doNotModifyHeaders: true,
      } as aws4.Request,
      credentials,
    );
    const expected = String((reference.headers as Record<string, string>).Authorization);
    expect(/Signature=([0-9a-f]{64})/.exec(authorization)?.[1]).toBe(
      /Signature=([0-9a-f]{64})/.exec(expected)?.[1],
    );
  });

  it('retries throttling and 5xx with backoff, then answers the success', async () => {
    let n = 0;
    peer.answer(() => {
      n++;
      if (n === 1) return { status: 400, body: awsError('ThrottlingException', 'Rate exceeded') };
      if (n === 2) return { status: 503, body: {} };
      return { body: { ok: true } };
    });
    await expect(client('kms').call('Decrypt', {})).resolves.toEqual({ ok: true });
    expect(peer.calls).toHaveLength(3);
  });

  it('gives up after maxAttempts with the service error, code as name and details kept', async () => {
    peer.answer(() => ({
      status: 400,
      body: awsError('ProvisionedThroughputExceededException', 'slow down', { Extra: 1 }),
    }));
    const failure = await client('dynamodb', { maxAttempts: 2 })
      .call('Query', {})
      .catch((e: unknown) => e);
    expect(failure).toBeInstanceOf(AwsServiceError);
    expect(failure).toMatchObject({
      name: 'ProvisionedThroughputExceededException',
      message: 'slow down',
      statusCode: 400,
      retryable: true,
      details: { Extra: 1 },
    });
    expect(peer.calls).toHaveLength(2);
  });

  it('does not retry an error the caller must fix', async () => {
    peer.answer(() => ({
      status: 400,
      body: awsError('ConditionalCheckFailedException', 'The conditional request failed', {
        Item: { pk: { S: 'a' } },
      }),
    }));
    await expect(client('dynamodb').call('UpdateItem', {})).rejects.toMatchObject({
      name: 'ConditionalCheckFailedException',
      retryable: false,
      details: { Item: { pk: { S: 'a' } } },
    });
    expect(peer.calls).toHaveLength(1);
  });

  it('times a hung request out and retries it, so an outage is a fast failure', async () => {
    peer.answer(() => ({ delayMs: 1_000, body: {} }));
    const failure = await client('kms', { requestTimeoutMs: 100, maxAttempts: 2 })
      .call('Decrypt', {})
      .catch((e: unknown) => e);
    expect((failure as Error).name).toBe('TimeoutError');
    expect(peer.calls).toHaveLength(2);
  });

  it('treats a refused connection as retryable', async () => {
    const refused = createAwsJsonClient({
      service: 'kms',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials,
      maxAttempts: 2,
    });
    await expect(refused.call('Decrypt', {})).rejects.toMatchObject({ code: 'ECONNREFUSED' });
  });

  it('never quotes a response body it cannot parse (it may hold key material)', async () => {
    peer.answer(() => ({ status: 200 }));
    await expect(client('kms').call('Decrypt', {})).resolves.toEqual({});
    const keyMaterial = 'c2VjcmV0LWRhdGEta2V5LW1hdGVyaWFs';
    peer.answer(() => ({ raw: `{"Plaintext":"${keyMaterial}"` }));
    const failure = await client('kms', { maxAttempts: 1 })
      .call('Decrypt', {})
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'InvalidResponse', retryable: true });
    expect(
      JSON.stringify({ message: (failure as Error).message, stack: (failure as Error).stack }),
    ).not.toContain(keyMaterial);
  });

  it('resolves endpoints from the standard variables, FIPS and partition', () => {
    expect(resolveEndpoint('dynamodb', 'eu-west-1').href).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(resolveEndpoint('kms', 'cn-north-1').href).toBe('https://kms.cn-north-1.amazonaws.com.cn/');
    vi.stubEnv('AWS_USE_FIPS_ENDPOINT', 'true');
    expect(resolveEndpoint('kms', 'us-east-1').href).toBe('https://kms-fips.us-east-1.amazonaws.com/');
    vi.stubEnv('AWS_ENDPOINT_URL', 'http://localhost:1000');
    expect(resolveEndpoint('kms', 'us-east-1').href).toBe('http://localhost:1000/');
    vi.stubEnv('AWS_ENDPOINT_URL_KMS', 'http://localhost:2000');
    expect(resolveEndpoint('kms', 'us-east-1').href).toBe('http://localhost:2000/');
    expect(resolveEndpoint('dynamodb', 'us-east-1').href).toBe('http://localhost:1000/');
  });

  it('refuses to sign without credentials rather than looking anywhere else', async () => {
    vi.stubEnv('AWS_ACCESS_KEY_ID', '');
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', '');
    const bare = createAwsJsonClient({ service: 'kms', region: 'us-east-1', endpoint: peer.endpoint });
    peer.answer(() => ({ body: {} }));
    await expect(bare.call('Decrypt', {})).rejects.toThrow(/credentials missing/);
    expect(peer.calls).toHaveLength(0);
  });
});
