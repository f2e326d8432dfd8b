import { DecryptCommand, GenerateDataKeyCommand, InvalidCiphertextException } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, RetryableError } from '../../shared/domain/errors.js';
import type { EncryptionContext } from '../../shared/domain/ports.js';
import { observeCalls } from '../support/aws-calls.js';
import { connectedEngines } from '../support/engines.js';

let engines: Awaited<ReturnType<typeof connectedEngines>>;
beforeAll(async () => {
  engines = await connectedEngines();
});
afterAll(() => engines.close());

const context: EncryptionContext = {
  account: 'acme',
  integration: 'int_A',
  key: 'key_A',
  purpose: 'display',
};

describe('envelope encryption through the real KMS client and the KMS stand-in', () => {
  it('round-trips a secret under its own context', async () => {
    const sealed = await engines.envelope.seal(Buffer.from('ssk_example'), context);
    expect(sealed).toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(sealed).not.toContain(Buffer.from('ssk_example').toString('base64url'));
    expect((await engines.envelope.open(sealed, context)).toString()).toBe('ssk_example');
  });

  it.each([
    ['account', { ...context, account: 'other' }],
    ['integration', { ...context, integration: 'int_B' }],
    ['key', { ...context, key: 'key_B' }],
    ['purpose', { ...context, purpose: 'signing' as const }],
  ])('refuses to open a ciphertext under another %s', async (_, wrong) => {
    const sealed = await engines.envelope.seal(Buffer.from('ssk_example'), context);
    await expect(engines.envelope.open(sealed, wrong)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('the stand-in itself answers InvalidCiphertextException for a wrong context, like KMS', async () => {
    const { CiphertextBlob } = await engines.kmsClient.send(
      new GenerateDataKeyCommand({
        KeyId: engines.kms.keyArn,
        KeySpec: 'AES_256',
        EncryptionContext: { a: '1' },
      }),
    );
    const wrong = engines.kmsClient.send(
      new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '2' } }),
    );
    await expect(wrong).rejects.toBeInstanceOf(InvalidCiphertextException);
    await expect(wrong).rejects.toMatchObject({ $metadata: { httpStatusCode: 400 } });
    // The right context opens it, through the same client.
    const opened = await engines.kmsClient.send(
      new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '1' } }),
    );
    expect(opened.Plaintext).toHaveLength(32);
  });

  it('the stand-in speaks KMS as the AWS SDK KMS client understands it', async () => {
    const { KMSClient, GenerateDataKeyCommand, DecryptCommand } = await import('@aws-sdk/client-kms');
    const sdk = new KMSClient({
      region: 'us-east-1',
      endpoint: engines.kms.endpoint,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });
    try {
      const generated = await sdk.send(
        new GenerateDataKeyCommand({
          KeyId: engines.kms.keyArn,
          KeySpec: 'AES_256',
          EncryptionContext: { a: '1' },
        }),
      );
      expect(generated.Plaintext).toHaveLength(32);
      // Sized like AWS KMS's own blob for a 32-byte data key, so stored items weigh what they do on AWS.
      expect(generated.CiphertextBlob).toHaveLength(184);
      const opened = await sdk.send(
        new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { a: '1' } }),
      );
      expect(Buffer.from(opened.Plaintext ?? []).equals(Buffer.from(generated.Plaintext ?? []))).toBe(true);
      await expect(
        sdk.send(
          new DecryptCommand({ CiphertextBlob: generated.CiphertextBlob, EncryptionContext: { a: '2' } }),
        ),
      ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
    } finally {
      sdk.destroy();
    }
  });

  it('detects a body swapped in from another ciphertext', async () => {
    const a = await engines.envelope.seal(Buffer.from('secret-a'), context);
    const b = await engines.envelope.seal(Buffer.from('secret-b'), context);
    const [v, keyA] = a.split('.');
    const [, , ivB, bodyB] = b.split('.');
    await expect(engines.envelope.open([v, keyA, ivB, bodyB].join('.'), context)).rejects.toBeInstanceOf(
      IntegrityError,
    );
  });

  it('detects a flipped bit in the ciphertext', async () => {
    const sealed = await engines.envelope.seal(Buffer.from('secret'), context);
    const parts = sealed.split('.');
    const body = Buffer.from(parts[3] ?? '', 'base64url');
    body[0] = (body[0] ?? 0) ^ 1;
    parts[3] = body.toString('base64url');
    await expect(engines.envelope.open(parts.join('.'), context)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('zeroes the plaintext data key after sealing and opening', async () => {
    // The SDK hands the envelope the data key as bytes; those very bytes must be zero afterwards.
    const answered: Uint8Array[] = [];
    const stop = observeCalls(engines.kmsClient, 'kms', async (_call, next) => {
      const output = await next();
      if (output.Plaintext instanceof Uint8Array) answered.push(output.Plaintext);
      return output;
    });
    try {
      const sealed = await engines.envelope.seal(Buffer.from('secret'), context);
      const opened = await engines.envelope.open(sealed, context);
      expect(opened.toString()).toBe('secret');
      expect(answered).toHaveLength(2);
      for (const dataKey of answered) {
        expect(dataKey.length).toBe(32);
        expect(dataKey.every((byte) => byte === 0)).toBe(true);
      }
    } finally {
      stop();
    }
  });

  it('turns KMS being down or throttling into a retryable error', async () => {
    const sealed = await engines.envelope.seal(Buffer.from('secret'), context);
    for (const fault of ['unavailable', 'throttle'] as const) {
      engines.kms.setFault(fault);
      await expect(engines.envelope.open(sealed, context)).rejects.toBeInstanceOf(RetryableError);
      await expect(engines.envelope.seal(Buffer.from('x'), context)).rejects.toBeInstanceOf(RetryableError);
    }
    engines.kms.setFault('none');
    expect((await engines.envelope.open(sealed, context)).toString()).toBe('secret');
  });
});
