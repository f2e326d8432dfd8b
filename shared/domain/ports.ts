import type { AuditEvent, Credential, Integration, KeyRecord, Page, SigningEntry } from './model.js';

export type Purpose = 'display' | 'signing';

/** Binds a ciphertext to its one place. KMS enforces it, and the envelope checks it again as GCM AAD. */
export interface EncryptionContext {
  account: string;
  integration: string;
  key: string;
  purpose: Purpose;
}

export interface Envelope {
  seal(plaintext: Buffer, context: EncryptionContext): Promise<string>;
  /** The caller owns the returned buffer and zeroes it when done. */
  open(sealed: string, context: EncryptionContext): Promise<Buffer>;
}

export interface Clock {
  now(): Date;
}

export interface PageRequest {
  limit: number;
  cursor?: string;
}

export interface NewKeyWrite {
  key: KeyRecord;
  signing: SigningEntry;
  audit: AuditEvent;
}

export type RevealOutcome = { status: 'committed' } | { status: 'not-viewable'; key: KeyRecord };
export type RevokeOutcome =
  | { status: 'revoked'; key: KeyRecord }
  | { status: 'already-revoked'; key: KeyRecord };

/**
 * Storage of the service. Every method that changes state writes its audit event in the same
 * transaction. Every read is scoped by account: ids of another account are simply not found.
 */
export interface KeyStore {
  createIntegration(input: {
    integration: Integration;
    firstKey: NewKeyWrite;
    audit: AuditEvent;
  }): Promise<void>;
  getIntegration(accountId: string, integrationId: string): Promise<Integration | undefined>;
  listIntegrations(accountId: string, page: PageRequest): Promise<Page<Integration>>;

  /** Fails with TooManyKeysError when the integration already has the maximum of usable keys. */
  addKey(input: NewKeyWrite & { apiKey: string; maxUsableKeys: number }): Promise<void>;
  getKey(accountId: string, integrationId: string, keyId: string): Promise<KeyRecord | undefined>;
  listKeys(accountId: string, integrationId: string): Promise<KeyRecord[]>;

  /**
   * Removes the display copy and marks the key viewed, on condition that it is still viewable,
   * together with the audit event. `revealId` makes a retried commit recognise its own success.
   */
  commitReveal(input: {
    key: KeyRecord;
    revealId: string;
    viewedBy: string;
    viewedAt: string;
    audit: AuditEvent;
  }): Promise<RevealOutcome>;

  revokeKey(input: {
    key: KeyRecord;
    apiKey: string;
    revokedBy: string;
    revokedAt: string;
    audit: AuditEvent;
  }): Promise<RevokeOutcome>;

  listAudit(accountId: string, integrationId: string, page: PageRequest): Promise<Page<AuditEvent>>;

  getCredential(apiKey: string): Promise<Credential | undefined>;
}
