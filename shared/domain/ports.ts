import type { LeakSettings } from './leaks.js';
import type { AuditEvent, Credential, Integration, KeyRecord, Page, SigningEntry } from './model.js';
import type { RotationSettings } from './rotation.js';

/** A key found by its secret's fingerprint: what identifying it needs, never its ciphertext. */
export type FoundKey = Pick<
  KeyRecord,
  'accountId' | 'integrationId' | 'id' | 'name' | 'status' | 'createdAt' | 'expiresAt'
>;

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
 * Storage of the service. Every method that changes state writes its audit event in the same atomic
 * write as the change (one transaction, or one single-item write): both commit or neither does.
 * Every read is scoped by account: ids of another account are simply not found.
 */
export interface KeyStore {
  createIntegration(input: {
    integration: Integration;
    firstKey: NewKeyWrite;
    audit: AuditEvent;
  }): Promise<void>;
  getIntegration(accountId: string, integrationId: string): Promise<Integration | undefined>;
  listIntegrations(accountId: string, page: PageRequest): Promise<Page<Integration>>;

  /** Fails with ConflictError too_many_keys when the credential already holds the maximum of keys. */
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

  /** Revokes a key: marks it revoked and drops its signing copy from the credential, in one transaction. */
  revokeKey(input: {
    key: KeyRecord;
    apiKey: string;
    revokedBy: string;
    revokedAt: string;
    audit: AuditEvent;
  }): Promise<RevokeOutcome>;

  /**
   * Changes an integration's name or signature policy, in its item and its credential record, with the
   * audit event, in one transaction. Returns the integration as stored after the change.
   */
  updateIntegration(input: {
    integration: Integration;
    changes: { name?: string; legacySignatures?: boolean };
    updatedAt: string;
    updatedBy: string;
    audit: AuditEvent;
  }): Promise<Integration>;

  /**
   * Drops the credential's expired entries (expiring keys past `now`), so they leave the usable-key cap.
   * Returns how many it removed.
   */
  pruneExpired(apiKey: string, accountId: string, now: string): Promise<number>;

  /**
   * Rotation: adds the successor and sets the old key expiring, on condition that it is still active,
   * with both audit events, in one transaction. Fails with ConflictError when the old key is not active.
   */
  rotateKey(input: {
    apiKey: string;
    previous: KeyRecord;
    expiresAt: string;
    /** The old key's next check by the reminder job (its expiry notice), or none. */
    previousDueAt: string | undefined;
    successor: NewKeyWrite;
    audit: AuditEvent;
    maxUsableKeys: number;
  }): Promise<void>;

  /** Finds an integration's account and apiKey by id alone (internal signing path; eventually consistent). */
  findIntegration(integrationId: string): Promise<{ accountId: string; apiKey: string } | undefined>;

  /** Sets lastUsedAt unless it was set at or after `notBefore`. Returns false when it was. */
  recordKeyUse(input: {
    accountId: string;
    integrationId: string;
    keyId: string;
    at: string;
    notBefore: string;
  }): Promise<boolean>;

  listAudit(accountId: string, integrationId: string, page: PageRequest): Promise<Page<AuditEvent>>;

  getCredential(apiKey: string): Promise<Credential | undefined>;

  getRotationSettings(accountId: string): Promise<RotationSettings | undefined>;
  /** Stores the account's rotation policy with its audit event, in one write. */
  putRotationSettings(input: {
    accountId: string;
    settings: Required<RotationSettings>;
    audit: AuditEvent;
  }): Promise<void>;
  /**
   * Recomputes every key of the account's rotation due date and place in the due index with `plan`
   * (undefined: leave the key as it is), each unless the key changed since it was read. Returns how many
   * it rewrote.
   */
  getLeakPolicy(accountId: string): Promise<LeakSettings | undefined>;
  /** Stores the account's leak policy with its audit event, in one write. */
  putLeakPolicy(input: {
    accountId: string;
    settings: Required<LeakSettings>;
    audit: AuditEvent;
  }): Promise<void>;
  /** The key whose secret has this fingerprint, in any account (the caller checks whose it is). */
  findKeyByFingerprint(fingerprint: string): Promise<FoundKey | undefined>;
  /** Adds an audit event to a key that nothing else changes (identified, exposed). */
  recordKeyEvent(input: {
    key: Pick<KeyRecord, 'accountId' | 'integrationId' | 'id'>;
    audit: AuditEvent;
  }): Promise<void>;
  reindexKeys(
    accountId: string,
    plan: (key: KeyRecord) => Pick<KeyRecord, 'rotationDueAt' | 'dueAt'> | undefined,
  ): Promise<number>;
}
