import {
  ConditionalCheckFailedException,
  ThrottlingException as DynamoThrottling,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DecryptCommand,
  DisabledException,
  InvalidCiphertextException,
  KMSClient,
  KMSInternalException,
  KMSInvalidStateException,
  KMSServiceException,
  NotFoundException,
} from '@aws-sdk/client-kms';
import {
  DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createDynamoClient, createKmsClient } from '../../shared/adapters/clients.js';
import { createDynamoStore } from '../../shared/adapters/dynamodb/store.js';
import { createKmsEnvelope } from '../../shared/adapters/kms-envelope.js';
import { ConflictError, IntegrityError, RetryableError } from '../../shared/domain/errors.js';
import type { KeyRecord } from '../../shared/domain/model.js';
import { revealAudit, sampleKey } from '../support/fixtures.js';

// Unit tier: the SDK clients mocked with aws-sdk-client-mock, to pin how each AWS exception class maps
// to a domain outcome. The conditions themselves are proven against DynamoDB Local in test/connected.
const metadata = { $metadata: { httpStatusCode: 400 } };
const dynamo = mockClient(DynamoDBDocumentClient);
const kms = mockClient(KMSClient);
beforeEach(() => {
  dynamo.reset();
  kms.reset();
});

// mockClient stubs the classes' send, so these are the product's own clients with nothing on the wire.
const store = () =>
  createDynamoStore({ client: createDynamoClient({ region: 'us-east-1' }), tableName: 't' });
const key: KeyRecord = sampleKey;
const audit = revealAudit;
const signing = {
  name: 'k',
  status: 'active' as const,
  createdAt: key.createdAt,
  signing: 'v1.AA.AAAAAAAAAAAAAAAA.AAAA',
};
const rotate = () =>
  store().rotateKey({
    apiKey: 'ak_x',
    previous: key,
    expiresAt: audit.at,
    previousDueAt: undefined,
    successor: { key: { ...key, id: 'key_01M8STXNSD4ZY5FGN1KN4W6R3H' }, signing, audit },
    audit,
    maxUsableKeys: 10,
  });
const cancelled = (...codes: string[]) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    ...metadata,
    CancellationReasons: codes.map((Code) => ({ Code })),
  });

describe('DynamoDB exceptions → domain outcomes (by class)', () => {
  it('a failed reveal condition names the winner from the returned item, without another read', async () => {
    const viewed = { ...key, viewedAt: '2026-12-01T00:00:00.500Z', viewedBy: 'alice', revealId: 'other' };
    dynamo
      .on(UpdateCommand)
      .rejects(
        new ConditionalCheckFailedException({ message: 'failed', ...metadata, Item: marshall(viewed) }),
      );
    const outcome = await store().commitReveal({
      key,
      revealId: 'mine',
      viewedBy: 'bob',
      viewedAt: audit.at,
      audit,
    });
    expect(outcome).toMatchObject({ status: 'not-viewable', key: { viewedBy: 'alice' } });
    expect(dynamo.commandCalls(GetCommand)).toHaveLength(0);
    // The condition was asked to return the item: that is where the winner comes from.
    expect(dynamo.commandCalls(UpdateCommand)[0]?.args[0].input.ReturnValuesOnConditionCheckFailure).toBe(
      'ALL_OLD',
    );
  });

  it('a cancelled transaction maps by the position of its failed condition', async () => {
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed'));
    const adding = store().addKey({ key, signing, audit, apiKey: 'ak_x', maxUsableKeys: 10 });
    await expect(adding).rejects.toBeInstanceOf(ConflictError);
    await expect(adding).rejects.toMatchObject({ code: 'too_many_keys' });

    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'ConditionalCheckFailed', 'None'));
    await expect(rotate()).rejects.toMatchObject({ code: 'key_not_active' });

    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'None', 'ConditionalCheckFailed'));
    await expect(rotate()).rejects.toMatchObject({ code: 'too_many_keys' });
  });

  it('throttling and a transaction conflict are a 503 that says a retry is safe', async () => {
    dynamo.on(GetCommand).rejects(new DynamoThrottling({ message: 'Rate exceeded', ...metadata }));
    await expect(store().getKey('acme', key.integrationId, key.id)).rejects.toBeInstanceOf(RetryableError);
    dynamo.on(TransactWriteCommand).rejects(cancelled('None', 'TransactionConflict'));
    await expect(
      store().addKey({ key, signing, audit, apiKey: 'ak_x', maxUsableKeys: 10 }),
    ).rejects.toBeInstanceOf(RetryableError);
  });

  it('an unexpected failure stays an error (a 500), and leaves the adapter without the items it carried', async () => {
    dynamo.on(TransactWriteCommand).rejects(
      new TransactionCanceledException({
        message: 'cancelled',
        ...metadata,
        CancellationReasons: [
          { Code: 'ValidationError', Item: marshall({ ...key, displayCiphertext: 'x' }) },
        ],
      }),
    );
    const thrown = await store()
      .addKey({ key, signing, audit, apiKey: 'ak_x', maxUsableKeys: 10 })
      .catch((error: unknown) => error);
    expect(thrown).toBeInstanceOf(TransactionCanceledException);
    expect(thrown).not.toBeInstanceOf(RetryableError);
    expect(JSON.stringify(thrown)).not.toContain('displayCiphertext');
    expect((thrown as TransactionCanceledException).CancellationReasons?.[0]).not.toHaveProperty('Item');
  });
});

/** KMS answers throttling and IAM denials with errors its model does not name: the SDK's base class. */
const unmodeled = (name: string, message: string) =>
  new KMSServiceException({ name, message, $fault: 'client', ...metadata });

describe('KMS exceptions → domain outcomes (by class)', () => {
  const envelope = () => createKmsEnvelope({ client: createKmsClient({ region: 'us-east-1' }), keyId: 'k' });
  const sealed = `v1.${Buffer.alloc(184).toString('base64url')}.${Buffer.alloc(12).toString('base64url')}.${Buffer.alloc(40).toString('base64url')}`;
  const context = { account: 'a', integration: 'i', key: 'k', purpose: 'display' as const };

  it('a refused ciphertext is an integrity failure', async () => {
    kms.on(DecryptCommand).rejects(new InvalidCiphertextException({ message: 'no', ...metadata }));
    await expect(envelope().open(sealed, context)).rejects.toBeInstanceOf(IntegrityError);
  });

  it('throttling and KMS internal errors are retryable (503)', async () => {
    kms.on(DecryptCommand).rejects(unmodeled('ThrottlingException', 'Rate exceeded'));
    await expect(envelope().open(sealed, context)).rejects.toBeInstanceOf(RetryableError);
    kms
      .on(DecryptCommand)
      .rejects(new KMSInternalException({ message: 'oops', $metadata: { httpStatusCode: 500 } }));
    await expect(envelope().open(sealed, context)).rejects.toBeInstanceOf(RetryableError);
  });

  it.each([
    ['access denied', unmodeled('AccessDeniedException', 'not authorized')],
    ['a disabled key', new DisabledException({ message: 'disabled', ...metadata })],
    ['an invalid key id', new NotFoundException({ message: 'no such key', ...metadata })],
    ['a key pending deletion', new KMSInvalidStateException({ message: 'pending deletion', ...metadata })],
  ])('%s is not retryable: it stays the error it is (a 500, its name logged)', async (_, error) => {
    kms.on(DecryptCommand).rejects(error);
    const thrown = await envelope()
      .open(sealed, context)
      .catch((e: unknown) => e);
    expect(thrown).toBe(error);
    expect(thrown).not.toBeInstanceOf(RetryableError);
  });

  it('refuses a sealed value with a wrong IV or tag length before calling KMS', async () => {
    const shortIv = sealed
      .split('.')
      .map((part, i) => (i === 2 ? Buffer.alloc(8).toString('base64url') : part));
    await expect(envelope().open(shortIv.join('.'), context)).rejects.toBeInstanceOf(IntegrityError);
    const shortBody = sealed
      .split('.')
      .map((part, i) => (i === 3 ? Buffer.alloc(15).toString('base64url') : part));
    await expect(envelope().open(shortBody.join('.'), context)).rejects.toBeInstanceOf(IntegrityError);
    expect(kms.commandCalls(DecryptCommand)).toHaveLength(0);
  });
});
