import type * as z from 'zod/mini';
import type * as R from '../http/response-schemas.js';

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
  /** The head of the integration item's audit chain as read (audit-chain.ts). */
  auditHead?: string;
}

/** A rotation's overlap: how long the old key keeps verifying. */
export const DEFAULT_OVERLAP_SECONDS = 24 * 60 * 60;
export const MAX_OVERLAP_SECONDS = 7 * 24 * 60 * 60;

export type KeyOrigin = 'created' | 'auto-generated';
/** A key's stored status. Past its `expiresAt` a key reads `expired` (KeyView), with no write needed. */
export type KeyStatus = 'active' | 'expiring' | 'revoked';

export interface KeyRecord {
  id: string;
  accountId: string;
  integrationId: string;
  name: string;
  origin: KeyOrigin;
  status: KeyStatus;
  /** When it stops verifying: the end of a rotation's overlap, or an expiry chosen at creation. */
  expiresAt?: string;
  /** When an active key is due for rotation: created + the account's rotation period. */
  rotationDueAt?: string;
  /** When the reminder job must next look at the key (rotation.ts `nextCheck`); absent: never again. */
  dueAt?: string;
  /** The last rotation reminder (rotation due, or expiry near) sent for the key. */
  remindedAt?: string;
  /** When the job reported the key's expiry (once). */
  expiryNotifiedAt?: string;
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
  /** The head of the key item's audit chain as read (audit-chain.ts): what the next event extends. */
  auditHead?: string;
}

/** A key as every API response shows it: metadata only, never ciphertext (shape: response-schemas.ts). */
export type KeyView = z.infer<typeof R.KeyView>;

export type AuditAction =
  | 'integration.created'
  | 'integration.updated'
  | 'key.created'
  | 'key.auto_generated'
  | 'key.revealed'
  | 'key.revoked'
  | 'key.rotated'
  | 'key.rotation_reminded'
  | 'key.identified'
  | 'key.exposed'
  | 'settings.rotation_updated'
  | 'settings.leaks_updated';

export interface AuditEvent {
  id: string;
  accountId: string;
  /** Absent only for account-level events (settings). */
  integrationId?: string;
  keyId?: string;
  action: AuditAction;
  actor: string;
  at: string;
  requestId: string;
  sourceIp: string;
  details?: Record<string, string | number | boolean>;
  /** Its links in its item's hash chain (audit-chain.ts), hex; set by the store that writes it. */
  prevHash?: string;
  hash?: string;
}

/** A key's verification material, kept on the integration's credential record. */
export interface SigningEntry {
  name: string;
  status: 'active' | 'expiring' | 'revoked';
  /** Stops verifying at this time (rotation overlap, or an expiry chosen at creation). */
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

export type IntegrationView = z.infer<typeof R.IntegrationView>;
export type AuditEventView = z.infer<typeof R.AuditEventView>;

export function toIntegrationView({ accountId: _, auditHead: _h, ...view }: Integration): IntegrationView {
  return view;
}

export function toAuditEventView({ accountId: _, ...view }: AuditEvent): AuditEventView {
  return view;
}

/** The key as shown at `now`: an expiry passed reads `expired`; only an active key shows a rotation due date. */
export function toKeyView(key: KeyRecord, now: Date): KeyView {
  const status =
    key.status !== 'revoked' && key.expiresAt && Date.parse(key.expiresAt) <= now.getTime()
      ? 'expired'
      : key.status;
  return {
    id: key.id,
    integrationId: key.integrationId,
    name: key.name,
    origin: key.origin,
    status,
    expiresAt: key.expiresAt ?? null,
    rotationDueAt: status === 'active' ? (key.rotationDueAt ?? null) : null,
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
