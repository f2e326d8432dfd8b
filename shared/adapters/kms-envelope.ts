import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  type KMSClient,
} from '@aws-sdk/client-kms';
import { IntegrityError, RetryableError } from '../domain/errors.js';
import type { EncryptionContext, Envelope } from '../domain/ports.js';
import { deadlineSignal } from '../runtime/deadline.js';
import { isRetryableAwsError } from './aws-errors.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Sorted keys (UTF-16 code unit order, `sort()`'s own), so the same context always yields the same AAD bytes. */
export function canonicalContext(context: EncryptionContext): Buffer {
  const sorted = Object.fromEntries(
    Object.keys(context)
      .sort()
      .map((key) => [key, context[key as keyof EncryptionContext]]),
  );
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

function asKmsContext(context: EncryptionContext): Record<string, string> {
  return { ...context };
}

/**
 * A refused ciphertext is an integrity failure; throttling, 5xx, timeouts and the deadline are a 503
 * that says a retry is safe. Anything else (access denied, a disabled key or one pending deletion, a
 * wrong key id) is a misconfiguration that no retry fixes: it stays an error, logged by name as a 500.
 */
function mapKmsError(error: unknown): never {
  if (error instanceof InvalidCiphertextException) {
    throw new IntegrityError('KMS refused the ciphertext for this encryption context');
  }
  if (isRetryableAwsError(error)) throw new RetryableError();
  throw error;
}

const unknownFormat = () => new IntegrityError('Unknown ciphertext format');

/**
 * The same sealed value as bytes, for storage: DynamoDB bills binary attributes by their raw length,
 * a quarter less than the base64url text. Layout: version (1), data key length (2, big-endian), data key,
 * IV length (1), IV, ciphertext + tag.
 */
export function packSealed(sealed: string): Uint8Array {
  const { encryptedKey, iv, body } = parseSealed(sealed);
  const keyLength = Buffer.alloc(2);
  keyLength.writeUInt16BE(encryptedKey.length);
  return Buffer.concat([Buffer.of(1), keyLength, encryptedKey, Buffer.of(iv.length), iv, body]);
}

/** The parts of a sealed value (text form), checked for shape. */
function parseSealed(sealed: string): { encryptedKey: Buffer; iv: Buffer; body: Buffer } {
  const [version, encryptedKey, iv, body, ...extra] = sealed.split('.');
  if (version !== VERSION || !encryptedKey || !iv || !body || extra.length > 0) {
    throw unknownFormat();
  }
  return {
    encryptedKey: Buffer.from(encryptedKey, 'base64url'),
    iv: Buffer.from(iv, 'base64url'),
    body: Buffer.from(body, 'base64url'),
  };
}

export function unpackSealed(packed: Uint8Array): string {
  const bytes = Buffer.from(packed.buffer, packed.byteOffset, packed.byteLength);
  let ivAt: number;
  let bodyAt: number;
  try {
    // Each read past the end throws a RangeError: a value cut short anywhere is not ours.
    if (bytes.readUInt8(0) !== 1) throw unknownFormat();
    ivAt = 3 + bytes.readUInt16BE(1);
    bodyAt = ivAt + 1 + bytes.readUInt8(ivAt);
  } catch {
    throw unknownFormat();
  }
  if (bytes.length <= bodyAt) throw unknownFormat();
  return [
    VERSION,
    bytes.subarray(3, ivAt).toString('base64url'),
    bytes.subarray(ivAt + 1, bodyAt).toString('base64url'),
    bytes.subarray(bodyAt).toString('base64url'),
  ].join('.');
}

/**
 * Envelope encryption: one KMS data key (AES-256) per ciphertext, AES-256-GCM with a random 96-bit IV,
 * and the encryption context both sent to KMS and used as the GCM AAD. KMS refuses a data key under
 * another context; GCM then checks the context a second time. Data keys are zeroed after use.
 *
 * Format: v1.<encrypted data key>.<iv>.<ciphertext + tag>, each part base64url.
 */
export function createKmsEnvelope({ client, keyId }: { client: KMSClient; keyId: string }): Envelope {
  return {
    async seal(plaintext, context) {
      let dataKey: Uint8Array | undefined;
      try {
        const result = await client
          .send(
            new GenerateDataKeyCommand({
              KeyId: keyId,
              KeySpec: 'AES_256',
              EncryptionContext: asKmsContext(context),
            }),
            { abortSignal: deadlineSignal() },
          )
          .catch(mapKmsError);
        dataKey = result.Plaintext;
        if (dataKey?.length !== 32 || !result.CiphertextBlob) {
          throw new IntegrityError('KMS returned no AES-256 data key');
        }
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
        cipher.setAAD(canonicalContext(context));
        const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        const parts = [Buffer.from(result.CiphertextBlob), iv, body].map((part) =>
          part.toString('base64url'),
        );
        return [VERSION, ...parts].join('.');
      } finally {
        dataKey?.fill(0);
      }
    },

    async open(sealed, context) {
      const { encryptedKey, iv, body: bodyBytes } = parseSealed(sealed);
      // GCM accepts other IV and tag lengths; ours are always 12 and 16, so anything else is not ours.
      if (iv.length !== IV_BYTES || bodyBytes.length < TAG_BYTES) {
        throw new IntegrityError('Ciphertext has the wrong IV or tag length');
      }
      let dataKey: Uint8Array | undefined;
      try {
        const result = await client
          .send(
            new DecryptCommand({
              KeyId: keyId,
              CiphertextBlob: encryptedKey,
              EncryptionContext: asKmsContext(context),
            }),
            { abortSignal: deadlineSignal() },
          )
          .catch(mapKmsError);
        dataKey = result.Plaintext;
        if (dataKey?.length !== 32) throw new IntegrityError('KMS returned no AES-256 data key');
        // Stryker disable next-line ObjectLiteral: the tag set below is always exactly TAG_BYTES long, so the option changes nothing today; it keeps GCM from accepting a shorter tag if that ever changes
        const decipher = createDecipheriv('aes-256-gcm', dataKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(canonicalContext(context));
        decipher.setAuthTag(bodyBytes.subarray(bodyBytes.length - TAG_BYTES));
        try {
          return Buffer.concat([
            decipher.update(bodyBytes.subarray(0, bodyBytes.length - TAG_BYTES)),
            decipher.final(),
          ]);
        } catch {
          throw new IntegrityError('Ciphertext failed its integrity check for this encryption context');
        }
      } finally {
        dataKey?.fill(0);
      }
    },
  };
}
