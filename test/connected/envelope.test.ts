import { GenerateDataKeyCommand } from '@aws-sdk/client-kms';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IntegrityError, RetryableError } from '../../shared/domain/errors.js';
import type { EncryptionContext } from '../../shared/domain/ports.js';
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
    const { DecryptCommand } = await import('@aws-sdk/client-kms');
    await expect(
      engines.kmsClient.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: { a: '2' } })),
    ).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
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
    const seen: Uint8Array[] = [];
    engines.kmsClient.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args);
        const output = result.output as { Plaintext?: Uint8Array };
        if (output.Plaintext) seen.push(output.Plaintext);
        return result;
      },
      { step: 'initialize', name: 'capturePlaintext' },
    );
    try {
      const sealed = await engines.envelope.seal(Buffer.from('secret'), context);
      const opened = await engines.envelope.open(sealed, context);
      expect(opened.toString()).toBe('secret');
      expect(seen).toHaveLength(2);
      for (const dataKey of seen) {
        expect(dataKey.length).toBe(32);
        expect(dataKey.every((byte) => byte === 0)).toBe(true);
      }
    } finally {
      engines.kmsClient.middlewareStack.remove('capturePlaintext');
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
