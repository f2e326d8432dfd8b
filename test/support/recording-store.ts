import { isDeepStrictEqual } from 'node:util';
import { expect, vi } from 'vitest';
import type { Integration, KeyRecord } from '../../shared/domain/model.js';
import type { EncryptionContext, Envelope, KeyStore } from '../../shared/domain/ports.js';
import { actor } from './engines.js';

/**
 * The domain service's adapters for unit tests of what it asks them to do: a store that holds one
 * integration and the keys given, records every call and answers as configured; an envelope whose
 * sealed values are readable and whose open refuses another context, like KMS. Tests of the store's
 * own conditions and transactions use DynamoDB Local (test/connected/store.test.ts).
 */
export const AT = new Date('2026-12-01T12:00:00.000Z');
export const clock = { now: () => AT };
export const alice = actor('acme', 'alice');
export const viewer = actor('acme', 'victor', 'viewer');
export const INTEGRATION: Integration = {
  id: 'int_01M8STXNSD0WK015E9HDB2KRD3',
  accountId: 'acme',
  name: 'Backend',
  apiKey: 'ak_AAAAAAAAAAAAAAAAAAAAAA',
  legacySignatures: false,
  createdAt: '2026-11-01T00:00:00.000Z',
  createdBy: 'alice',
};
export const day = (n: number) => new Date(AT.getTime() + n * 86_400_000).toISOString();

/** Sealed = the plaintext and its context, readable; opening hands out a fresh buffer the test can inspect. */
export function recordingEnvelope() {
  const opened: Buffer[] = [];
  const envelope = {
    seal: vi.fn(async (plaintext: Buffer, context: EncryptionContext) =>
      JSON.stringify({ plaintext: plaintext.toString('utf8'), context }),
    ),
    open: vi.fn(async (sealed: string, context: EncryptionContext) => {
      const parsed = JSON.parse(sealed) as { plaintext: string; context: EncryptionContext };
      if (!isDeepStrictEqual(parsed.context, context)) throw new Error('InvalidCiphertextException');
      const buffer = Buffer.from(parsed.plaintext, 'utf8');
      opened.push(buffer);
      return buffer;
    }),
  } satisfies Envelope;
  return { envelope, opened };
}

export function key(fields: Partial<KeyRecord> = {}): KeyRecord {
  return {
    id: 'key_01M8STXNSD4ZY5FGN1KN4W6R3F',
    accountId: 'acme',
    integrationId: INTEGRATION.id,
    name: 'Primary',
    origin: 'created',
    status: 'active',
    hint: 'ssk_…abcd',
    createdAt: '2026-11-01T00:00:00.000Z',
    createdBy: 'alice',
    ...fields,
  };
}

export function recordingStore(keys: KeyRecord[] = []) {
  const byId = new Map(keys.map((k) => [k.id, k]));
  const store = {
    getIntegration: vi.fn<KeyStore['getIntegration']>(async (accountId, integrationId) =>
      accountId === INTEGRATION.accountId && integrationId === INTEGRATION.id ? INTEGRATION : undefined,
    ),
    listIntegrations: vi.fn<KeyStore['listIntegrations']>(async (accountId) => ({
      items: accountId === INTEGRATION.accountId ? [INTEGRATION] : [],
      nextCursor: null,
    })),
    getKey: vi.fn<KeyStore['getKey']>(async (accountId, integrationId, keyId) => {
      const found = byId.get(keyId);
      return found?.accountId === accountId && found.integrationId === integrationId ? found : undefined;
    }),
    getRotationSettings: vi.fn<KeyStore['getRotationSettings']>(async () => undefined),
    createIntegration: vi.fn<KeyStore['createIntegration']>(async () => {}),
    addKey: vi.fn<KeyStore['addKey']>(async () => {}),
    rotateKey: vi.fn<KeyStore['rotateKey']>(async () => {}),
    pruneExpired: vi.fn<KeyStore['pruneExpired']>(async () => 0),
    commitReveal: vi.fn<KeyStore['commitReveal']>(async () => ({ status: 'committed' })),
    revokeKey: vi.fn<KeyStore['revokeKey']>(async ({ key: revoked }) => ({
      status: 'revoked',
      key: { ...revoked, status: 'revoked' },
    })),
    updateIntegration: vi.fn<KeyStore['updateIntegration']>(async ({ integration, changes }) => ({
      ...integration,
      ...changes,
    })),
    putRotationSettings: vi.fn<KeyStore['putRotationSettings']>(async () => {}),
    getLeakPolicy: vi.fn<KeyStore['getLeakPolicy']>(async () => undefined),
    putLeakPolicy: vi.fn<KeyStore['putLeakPolicy']>(async () => {}),
    findKeyByFingerprint: vi.fn<KeyStore['findKeyByFingerprint']>(async (fingerprint) =>
      keys.find((k) => k.fingerprint === fingerprint),
    ),
    recordKeyEvent: vi.fn<KeyStore['recordKeyEvent']>(async () => {}),
    reindexKeys: vi.fn<KeyStore['reindexKeys']>(async () => 0),
  };
  return store;
}

export type RecordingStore = ReturnType<typeof recordingStore>;

export function deps(
  store: ReturnType<typeof recordingStore>,
  envelope: Envelope = recordingEnvelope().envelope,
) {
  return {
    store: store as unknown as KeyStore,
    envelope,
    clock,
    maxUsableKeys: 10,
    defaultRotationPeriodDays: 90,
  };
}

/** The one call a store method got: its arguments. */
export function onlyCall<A extends unknown[]>(fn: { mock: { calls: A[] } }): A {
  expect(fn.mock.calls).toHaveLength(1);
  return fn.mock.calls[0] as A;
}
