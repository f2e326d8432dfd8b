import { randomBytes } from 'node:crypto';
import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createKmsEnvelope } from '../../shared/adapters/kms-envelope.js';
import type { EncryptionContext } from '../../shared/domain/ports.js';

/**
 * Each binding layer alone: here KMS is a mock that hands back the right data key whatever context it
 * is asked with (as if its own check were gone), so only the envelope's GCM additional data stands
 * between a ciphertext and another place. Every context key must count.
 */
const kms = mockClient(KMSClient);
afterEach(() => kms.reset());

const place: EncryptionContext = { account: 'acme', integration: 'int_1', key: 'key_1', purpose: 'display' };

describe('the envelope binds a ciphertext to its place by itself', () => {
  it('with the right data key but any other context, opening fails; with its own it succeeds', async () => {
    const dataKey = randomBytes(32);
    const blob = randomBytes(184);
    kms
      .on(GenerateDataKeyCommand)
      .resolves({ Plaintext: Uint8Array.from(dataKey), CiphertextBlob: blob, KeyId: 'k' });
    kms.on(DecryptCommand).callsFake(async () => ({ Plaintext: Uint8Array.from(dataKey), KeyId: 'k' }));
    const envelope = createKmsEnvelope({ client: new KMSClient({ region: 'us-east-1' }), keyId: 'k' });
    const sealed = await envelope.seal(Buffer.from('ssk_the-secret'), place);

    const opened = await envelope.open(sealed, place);
    expect(opened.toString('utf8')).toBe('ssk_the-secret');
    for (const [name, value] of [
      ['account', 'globex'],
      ['integration', 'int_2'],
      ['key', 'key_2'],
      ['purpose', 'signing'],
    ] as const) {
      await expect(envelope.open(sealed, { ...place, [name]: value }), name).rejects.toThrow(/integrity/);
    }
  });
});
