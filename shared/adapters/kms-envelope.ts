import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { IntegrityError, RetryableError } from '../domain/errors.js';
import type { EncryptionContext, Envelope } from '../domain/ports.js';
import type { AwsJsonClient } from './aws-json.js';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** Sorted keys, so the same context always yields the same AAD bytes. */
export function canonicalContext(context: EncryptionContext): Buffer {
  const sorted = Object.fromEntries(Object.entries(context).sort(([a], [b]) => (a < b ? -1 : 1)));
  return Buffer.from(JSON.stringify(sorted), 'utf8');
}

function asKmsContext(context: EncryptionContext): Record<string, string> {
  return { ...context };
}

function mapKmsError(error: unknown): never {
  if (error instanceof Error && error.name === 'InvalidCiphertextException') {
    throw new IntegrityError('KMS refused the ciphertext for this encryption context');
  }
  throw new RetryableError();
}

/**
 * Envelope encryption: one KMS data key (AES-256) per ciphertext, AES-256-GCM with a random 96-bit IV,
 * and the encryption context both sent to KMS and used as the GCM AAD. KMS refuses a data key under
 * another context; GCM then checks the context a second time. Data keys are zeroed after use.
 *
 * Format: v1.<encrypted data key>.<iv>.<ciphertext + tag>, each part base64url.
 */
export function createKmsEnvelope({ client, keyId }: { client: AwsJsonClient; keyId: string }): Envelope {
  return {
    async seal(plaintext, context) {
      let dataKey: Uint8Array | undefined;
      try {
        const result = await client
          .call<{ Plaintext?: string; CiphertextBlob?: string }>('GenerateDataKey', {
            KeyId: keyId,
            KeySpec: 'AES_256',
            EncryptionContext: asKmsContext(context),
          })
          .catch(mapKmsError);
        dataKey = result.Plaintext ? Buffer.from(result.Plaintext, 'base64') : undefined;
        if (!dataKey || !result.CiphertextBlob) throw new IntegrityError('KMS returned no data key');
        const iv = randomBytes(IV_BYTES);
        const cipher = createCipheriv('aes-256-gcm', dataKey, iv);
        cipher.setAAD(canonicalContext(context));
        const body = Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
        return [VERSION, Buffer.from(result.CiphertextBlob, 'base64'), iv, body]
          .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
          .join('.');
      } finally {
        dataKey?.fill(0);
      }
    },

    async open(sealed, context) {
      const [version, encryptedKey, iv, body, ...extra] = sealed.split('.');
      if (version !== VERSION || !encryptedKey || !iv || !body || extra.length > 0) {
        throw new IntegrityError('Unknown ciphertext format');
      }
      const bodyBytes = Buffer.from(body, 'base64url');
      if (bodyBytes.length < TAG_BYTES) throw new IntegrityError('Ciphertext too short');
      let dataKey: Uint8Array | undefined;
      try {
        const result = await client
          .call<{ Plaintext?: string }>('Decrypt', {
            KeyId: keyId,
            CiphertextBlob: Buffer.from(encryptedKey, 'base64url'),
            EncryptionContext: asKmsContext(context),
          })
          .catch(mapKmsError);
        dataKey = result.Plaintext ? Buffer.from(result.Plaintext, 'base64') : undefined;
        if (!dataKey) throw new IntegrityError('KMS returned no plaintext');
        const decipher = createDecipheriv('aes-256-gcm', dataKey, Buffer.from(iv, 'base64url'));
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
