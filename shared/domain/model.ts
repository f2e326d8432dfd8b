export type Role = 'admin' | 'viewer';

/** Who is calling, taken from verified JWT claims and the request context. */
export interface Actor {
  accountId: string;
  userId: string;
  roles: readonly Role[];
  requestId: string;
  sourceIp: string;
}

export interface Integration {
  id: string;
  accountId: string;
  name: string;
  apiKey: string;
  /** Also accept the untimestamped, body-only (Veriff-compatible) signature. Off unless opted in. */
  legacySignatures: boolean;
  createdAt: string;
  createdBy: string;
  updatedAt?: string;
  updatedBy?: string;
}

/** A rotation's overlap: how long the old key keeps verifying. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 60 * 60;

export type KeyOrigin = 'created' | 'auto-generated';
export type KeyStatus = 'active' | 'expiring' | 'revoked';

export interface KeyRecord {
  id: string;
  accountId: string;
  integrationId: string;
  name: string;
  origin: KeyOrigin;
  status: KeyStatus;
  expiresAt?: string;
  hint: string;
  /** The secret's public fingerprint (signature.ts), for finding a key by its secret without decrypting. */
  fingerprint?: string;
  createdAt: string;
  createdBy: string;
  /** Sealed display copy; present only for an auto-generated key that nobody has revealed yet. */
  displayCiphertext?: string;
  viewedAt?: string;
  viewedBy?: string;
  /** The id of the reveal request that committed, so a retried commit can recognise itself. */
  revealId?: string;
  revokedAt?: string;
  revokedBy?: string;
  lastUsedAt?: string;
}

/** A key as every API response shows it: metadata only, never ciphertext. */
export interface KeyView {
  id: string;
  integrationId: string;
  name: string;
  origin: KeyOrigin;
  status: KeyStatus;
  expiresAt: string | null;
  hint: string;
  createdAt: string;
  createdBy: string;
  viewable: boolean;
  viewedAt: string | null;
  viewedBy: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
  lastUsedAt: string | null;
}

export type AuditAction =
  | 'integration.created'
  | 'integration.updated'
  | 'key.created'
  | 'key.auto_generated'
  | 'key.revealed'
  | 'key.revoked'
  | 'key.rotated';

export interface AuditEvent {
  id: string;
  accountId: string;
  integrationId: string;
  keyId?: string;
  action: AuditAction;
  actor: string;
  at: string;
  requestId: string;
  sourceIp: string;
  details?: Record<string, string | number | boolean>;
}

/** A key's verification material, kept on the integration's credential record. */
export interface SigningEntry {
  name: string;
  status: 'active' | 'expiring' | 'revoked';
  expiresAt?: string;
  createdAt: string;
  /** Sealed with purpose `signing`. */
  signing: string;
}

/** The one record a verifier reads: found by the public apiKey, holds every key it may need. */
export interface Credential {
  apiKey: string;
  accountId: string;
  integrationId: string;
  legacySignatures: boolean;
  /** Active and expiring keys; an expiring key verifies until its expiresAt. */
  keys: Record<string, SigningEntry>;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export type IntegrationView = Omit<Integration, 'accountId'>;
export type AuditEventView = Omit<AuditEvent, 'accountId'>;

export function toIntegrationView({ accountId: _, ...view }: Integration): IntegrationView {
  return view;
}

export function toAuditEventView({ accountId: _, ...view }: AuditEvent): AuditEventView {
  return view;
}

export function toKeyView(key: KeyRecord): KeyView {
  return {
    id: key.id,
    integrationId: key.integrationId,
    name: key.name,
    origin: key.origin,
    status: key.status,
    expiresAt: key.expiresAt ?? null,
    hint: key.hint,
    createdAt: key.createdAt,
    createdBy: key.createdBy,
    viewable: key.displayCiphertext !== undefined,
    viewedAt: key.viewedAt ?? null,
    viewedBy: key.viewedBy ?? null,
    revokedAt: key.revokedAt ?? null,
    revokedBy: key.revokedBy ?? null,
    lastUsedAt: key.lastUsedAt ?? null,
  };
}
