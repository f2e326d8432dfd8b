import { randomBytes } from 'node:crypto';
import {
  DecryptCommand,
  GenerateDataKeyCommand,
  InvalidCiphertextException,
  KMSClient,
} from '@aws-sdk/client-kms';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createKmsEnvelope } from '../../shared/adapters/kms-envelope.js';
import { IntegrityError } from '../../shared/domain/errors.js';
import type { EncryptionContext } from '../../shared/domain/ports.js';
import { deadlineFor, withDeadline } from '../../shared/runtime/deadline.js';

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

describe('what the envelope refuses, and says', () => {
  const envelope = () => createKmsEnvelope({ client: new KMSClient({ region: 'us-east-1' }), keyId: 'k' });
  /** KMS as a mock that hands out one data key (or what `overrides` say) and gives it back for any blob. */
  function kmsWith(dataKey: Buffer, overrides: { generated?: object; decrypted?: object } = {}) {
    kms.on(GenerateDataKeyCommand).resolves({
      Plaintext: Uint8Array.from(dataKey),
      CiphertextBlob: randomBytes(184),
      ...overrides.generated,
    });
    kms
      .on(DecryptCommand)
      .callsFake(async () => ({ Plaintext: Uint8Array.from(dataKey), ...overrides.decrypted }));
  }

  it('an empty plaintext seals to the bare 16-byte tag, and opens again', async () => {
    kmsWith(randomBytes(32));
    const sealed = await envelope().seal(Buffer.alloc(0), place);
    expect(Buffer.from(sealed.split('.')[3] ?? '', 'base64url')).toHaveLength(16);
    await expect(envelope().open(sealed, place)).resolves.toEqual(Buffer.alloc(0));
  });

  it('a data key that is not 32 bytes, or no encrypted copy of it, is refused on seal and on open', async () => {
    const short = new IntegrityError('KMS returned no AES-256 data key');
    kmsWith(randomBytes(16));
    await expect(envelope().seal(Buffer.from('x'), place)).rejects.toThrow(short);
    kms.reset();
    kmsWith(randomBytes(32), { generated: { CiphertextBlob: undefined } });
    await expect(envelope().seal(Buffer.from('x'), place)).rejects.toThrow(short);
    kms.reset();
    kmsWith(randomBytes(32));
    const sealed = await envelope().seal(Buffer.from('x'), place);
    kms.reset();
    kmsWith(randomBytes(32), { decrypted: { Plaintext: randomBytes(31) } });
    await expect(envelope().open(sealed, place)).rejects.toThrow(short);
  });

  it('a ciphertext with another IV or tag length is not ours; KMS refusing one is an integrity failure', async () => {
    kmsWith(randomBytes(32));
    const [version, key, iv, body] = (await envelope().seal(Buffer.from('x'), place)).split('.') as string[];
    const wrongLength = new IntegrityError('Ciphertext has the wrong IV or tag length');
    const b64 = (bytes: Buffer) => bytes.toString('base64url');
    const ivBytes = Buffer.from(iv ?? '', 'base64url');
    const bodyBytes = Buffer.from(body ?? '', 'base64url');
    for (const [name, sealed] of [
      ['16-byte IV', [version, key, b64(Buffer.concat([ivBytes, Buffer.alloc(4)])), body]],
      ['15-byte body', [version, key, iv, b64(bodyBytes.subarray(0, 15))]],
    ] as const) {
      await expect(envelope().open(sealed.join('.'), place), name).rejects.toThrow(wrongLength);
    }
    kms.on(DecryptCommand).rejects(new InvalidCiphertextException({ message: 'no', $metadata: {} }));
    await expect(envelope().open([version, key, iv, body].join('.'), place)).rejects.toThrow(
      new IntegrityError('KMS refused the ciphertext for this encryption context'),
    );
  });

  it("every KMS call carries the request's deadline as its abort signal, and none outside a request", async () => {
    kmsWith(randomBytes(32));
    const sealed = await withDeadline(deadlineFor(10_000), () => envelope().seal(Buffer.from('x'), place));
    await withDeadline(deadlineFor(10_000), () => envelope().open(sealed, place));
    await envelope().open(sealed, place);
    const signals = [...kms.commandCalls(GenerateDataKeyCommand), ...kms.commandCalls(DecryptCommand)].map(
      (call) => (call.args as unknown[])[1] as { abortSignal?: AbortSignal } | undefined,
    );
    expect(signals.map((options) => options?.abortSignal instanceof AbortSignal)).toEqual([
      true,
      true,
      false,
    ]);
  });
});
