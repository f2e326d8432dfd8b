import { createCipheriv, createDecipheriv, randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A KMS stand-in that speaks the KMS JSON 1.1 wire protocol on 127.0.0.1, so the product's real KMS
 * code path (the official SDK KMS client, SigV4 signing included) runs locally and in tests; a test also
 * holds the AWS SDK's own KMS client to it. Like KMS, a ciphertext is bound to its
 * encryption context: decrypting with any other context answers InvalidCiphertextException.
 *
 * It is a development tool, not a KMS: its one symmetric key lives in memory (or in a file when the
 * local data is persisted).
 */
export type Fault = 'none' | 'unavailable' | 'throttle' | 'invalid-ciphertext' | 'access-denied' | 'timeout';

export interface KmsStandIn {
  endpoint: string;
  keyId: string;
  keyArn: string;
  /** Calls served per operation, faults included. */
  stats(): Record<string, number>;
  resetStats(): void;
  /** Make the named operations (all when omitted) fail until set back to 'none'. */
  setFault(fault: Fault, operations?: string[]): void;
  close(): Promise<void>;
}

const MAGIC = Buffer.from('SSK1');
/**
 * AWS KMS ciphertext blobs carry about 152 bytes around the plaintext (184 for a 32-byte data key; see
 * awsteele.com/blog/2020/11/29/cursory-kms-research.html for their anatomy). The stand-in's own header
 * (magic, key id, IV, tag) is 68 bytes, so it adds reserved zero bytes up to the same size: the items the
 * service stores locally then weigh what they weigh on AWS, and so do the write units the bench counts.
 */
const KMS_OVERHEAD = 152;
const OWN_OVERHEAD = MAGIC.length + 36 + 12 + 16;
const RESERVED = Buffer.alloc(KMS_OVERHEAD - OWN_OVERHEAD);
const REGION = 'us-east-1';
const ACCOUNT = '000000000000';

class KmsError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

function canonical(context: unknown): Buffer {
  if (context === undefined || context === null) return Buffer.alloc(0);
  if (typeof context !== 'object' || Array.isArray(context)) {
    throw new KmsError('ValidationException', 'EncryptionContext must be a map of strings');
  }
  const entries = Object.entries(context as Record<string, unknown>);
  for (const [, value] of entries) {
    if (typeof value !== 'string')
      throw new KmsError('ValidationException', 'EncryptionContext values must be strings');
  }
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Buffer.from(JSON.stringify(entries), 'utf8');
}

function base64Field(body: Record<string, unknown>, field: string): Buffer {
  const value = body[field];
  if (typeof value !== 'string' || value === '') {
    throw new KmsError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint`,
    );
  }
  return Buffer.from(value, 'base64');
}

export async function startKmsStandIn(
  options: { port?: number; masterKey?: Buffer; keyId?: string } = {},
): Promise<KmsStandIn> {
  const keyId = options.keyId ?? randomUUID();
  const keyArn = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${keyId}`;
  const masterKey = options.masterKey ?? randomBytes(32);
  const counts: Record<string, number> = {};
  let fault: { kind: Fault; operations?: Set<string> } = { kind: 'none' };

  function resolveKey(requested: unknown): void {
    if (requested === undefined) return;
    if (typeof requested !== 'string') throw new KmsError('ValidationException', 'KeyId must be a string');
    const known = [
      keyId,
      keyArn,
      'alias/shared-secret-keys-local',
      `arn:aws:kms:${REGION}:${ACCOUNT}:alias/shared-secret-keys-local`,
    ];
    if (!known.includes(requested))
      throw new KmsError('NotFoundException', `Key '${requested}' does not exist`);
  }

  function encrypt(plaintext: Buffer, context: unknown): Buffer {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', masterKey, iv);
    cipher.setAAD(canonical(context));
    const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
    return Buffer.concat([MAGIC, Buffer.from(keyId, 'ascii'), RESERVED, iv, cipher.getAuthTag(), body]);
  }

  function decrypt(blob: Buffer, context: unknown, requestedKey: unknown): Buffer {
    const idLength = keyId.length;
    if (blob.length < MAGIC.length + idLength + RESERVED.length + 28 || !blob.subarray(0, 4).equals(MAGIC)) {
      throw new KmsError('InvalidCiphertextException', '');
    }
    const blobKey = blob.subarray(4, 4 + idLength).toString('ascii');
    if (blobKey !== keyId) throw new KmsError('InvalidCiphertextException', '');
    if (requestedKey !== undefined) {
      resolveKey(requestedKey);
    }
    const offset = 4 + idLength + RESERVED.length;
    const decipher = createDecipheriv('aes-256-gcm', masterKey, blob.subarray(offset, offset + 12));
    decipher.setAAD(canonical(context));
    decipher.setAuthTag(blob.subarray(offset + 12, offset + 28));
    try {
      return Buffer.concat([decipher.update(blob.subarray(offset + 28)), decipher.final()]);
    } catch {
      throw new KmsError('InvalidCiphertextException', '');
    }
  }

  const operations: Record<string, (body: Record<string, unknown>) => unknown> = {
    GenerateDataKey(body) {
      resolveKey(body.KeyId);
      const spec = body.KeySpec;
      const bytes = spec === 'AES_256' ? 32 : spec === 'AES_128' ? 16 : Number(body.NumberOfBytes);
      if (!Number.isInteger(bytes) || bytes < 1 || bytes > 1024) {
        throw new KmsError('ValidationException', 'Specify either KeySpec or NumberOfBytes');
      }
      const plaintext = randomBytes(bytes);
      const response = {
        KeyId: keyArn,
        Plaintext: plaintext.toString('base64'),
        CiphertextBlob: encrypt(plaintext, body.EncryptionContext).toString('base64'),
      };
      plaintext.fill(0);
      return response;
    },
    Encrypt(body) {
      resolveKey(body.KeyId);
      const plaintext = base64Field(body, 'Plaintext');
      if (plaintext.length > 4096)
        throw new KmsError('ValidationException', 'Plaintext is longer than 4096 bytes');
      return {
        KeyId: keyArn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        CiphertextBlob: encrypt(plaintext, body.EncryptionContext).toString('base64'),
      };
    },
    Decrypt(body) {
      const plaintext = decrypt(base64Field(body, 'CiphertextBlob'), body.EncryptionContext, body.KeyId);
      const response = {
        KeyId: keyArn,
        EncryptionAlgorithm: 'SYMMETRIC_DEFAULT',
        Plaintext: plaintext.toString('base64'),
      };
      plaintext.fill(0);
      return response;
    },
    DescribeKey(body) {
      resolveKey(body.KeyId);
      return {
        KeyMetadata: {
          AWSAccountId: ACCOUNT,
          KeyId: keyId,
          Arn: keyArn,
          Enabled: true,
          KeyState: 'Enabled',
          KeyUsage: 'ENCRYPT_DECRYPT',
          KeySpec: 'SYMMETRIC_DEFAULT',
          CustomerMasterKeySpec: 'SYMMETRIC_DEFAULT',
          EncryptionAlgorithms: ['SYMMETRIC_DEFAULT'],
          Origin: 'AWS_KMS',
          KeyManager: 'CUSTOMER',
          MultiRegion: false,
          CreationDate: 1_700_000_000,
          Description: 'Shared Secret Keys local KMS stand-in',
        },
      };
    },
  };

  function send(res: ServerResponse, status: number, payload: unknown) {
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/x-amz-json-1.1',
      'x-amzn-requestid': randomUUID(),
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  }

  function sendError(res: ServerResponse, error: KmsError) {
    res.setHeader('x-amzn-errortype', error.type);
    send(res, error.status, { __type: error.type, message: error.message });
  }

  async function readBody(req: IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  async function handleControl(req: IncomingMessage, res: ServerResponse, path: string) {
    if (path === '/__standin/stats' && req.method === 'GET') return send(res, 200, counts);
    if (path === '/__standin/stats' && req.method === 'DELETE') {
      for (const name of Object.keys(counts)) delete counts[name];
      return send(res, 200, {});
    }
    if (path === '/__standin/fault' && req.method === 'POST') {
      const body = JSON.parse((await readBody(req)) || '{}') as { fault?: Fault; operations?: string[] };
      fault = {
        kind: body.fault ?? 'none',
        operations: body.operations ? new Set(body.operations) : undefined,
      };
      return send(res, 200, { fault: fault.kind });
    }
    return send(res, 404, { message: 'unknown control path' });
  }

  const server: Server = createServer(async (req, res) => {
    try {
      const path = (req.url ?? '/').split('?')[0] ?? '/';
      if (path.startsWith('/__standin/')) return await handleControl(req, res, path);
      const target = String(req.headers['x-amz-target'] ?? '');
      const operationName = target.startsWith('TrentService.') ? target.slice('TrentService.'.length) : '';
      const operation = operations[operationName];
      const raw = await readBody(req);
      if (req.method !== 'POST' || !operation) {
        throw new KmsError(
          'UnknownOperationException',
          `Operation ${operationName || '(none)'} is not supported here`,
        );
      }
      counts[operationName] = (counts[operationName] ?? 0) + 1;
      if (fault.kind !== 'none' && (!fault.operations || fault.operations.has(operationName))) {
        if (fault.kind === 'unavailable')
          throw new KmsError('KMSInternalException', 'Service unavailable', 500);
        if (fault.kind === 'throttle') throw new KmsError('ThrottlingException', 'Rate exceeded');
        if (fault.kind === 'access-denied') {
          throw new KmsError('AccessDeniedException', 'User is not authorized to perform this operation');
        }
        if (fault.kind === 'timeout') {
          // Longer than any client's request timeout: the caller gives up first.
          await new Promise((resolve) => setTimeout(resolve, 15_000));
          res.destroy();
          return;
        }
        throw new KmsError('InvalidCiphertextException', '');
      }
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw || '{}') as Record<string, unknown>;
      } catch {
        throw new KmsError('SerializationException', 'Request body is not valid JSON');
      }
      send(res, 200, operation(body));
    } catch (error) {
      sendError(
        res,
        error instanceof KmsError ? error : new KmsError('KMSInternalException', 'Internal error', 500),
      );
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    keyId,
    keyArn,
    stats: () => ({ ...counts }),
    resetStats: () => {
      for (const name of Object.keys(counts)) delete counts[name];
    },
    setFault: (kind, ops) => {
      fault = { kind, operations: ops ? new Set(ops) : undefined };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
