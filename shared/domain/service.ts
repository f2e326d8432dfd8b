import { randomUUID } from 'node:crypto';
import { requireAdmin } from './access.js';
import { auditEvent } from './audit.js';
import { ConflictError, KeyNoLongerViewableError, keyNotActive, NotFoundError } from './errors.js';
import { newApiKey, newIntegrationId, newKeyId } from './ids.js';
import {
  type Actor,
  type AuditAction,
  type AuditEvent,
  DEFAULT_OVERLAP_SECONDS,
  type Integration,
  type KeyOrigin,
  type KeyRecord,
  type KeyView,
  type Page,
  toKeyView,
} from './model.js';
import type {
  Clock,
  EncryptionContext,
  Envelope,
  KeyStore,
  NewKeyWrite,
  PageRequest,
  Purpose,
} from './ports.js';
import { addDays, nextCheck, ROTATION_LIMITS, type RotationSettings } from './rotation.js';
import { generateSecret, secretHint } from './secret.js';
import { fingerprint } from './signature.js';

export interface ServiceDeps {
  store: KeyStore;
  envelope: Envelope;
  clock: Clock;
  maxUsableKeys: number;
  /** The rotation period of an account that has not set its own (the deploy's `rotationPeriodDays`). */
  defaultRotationPeriodDays: number;
}

export type ReadDeps = Pick<ServiceDeps, 'store' | 'clock'>;
export type SettingsDeps = Pick<ServiceDeps, 'store' | 'clock' | 'defaultRotationPeriodDays'>;

function contextFor(
  key: Pick<KeyRecord, 'accountId' | 'integrationId' | 'id'>,
  purpose: Purpose,
): EncryptionContext {
  return { account: key.accountId, integration: key.integrationId, key: key.id, purpose };
}

async function seal(envelope: Envelope, secret: string, context: EncryptionContext): Promise<string> {
  const plaintext = Buffer.from(secret, 'utf8');
  try {
    return await envelope.seal(plaintext, context);
  } finally {
    plaintext.fill(0);
  }
}

/** Makes a new key: its secret, its signing copy and, for an auto-generated key, its one display copy. */
async function mintKey(
  deps: ServiceDeps,
  actor: Actor,
  at: Date,
  integrationId: string,
  name: string,
  origin: KeyOrigin,
  policy: { settings: RotationSettings; expiresInDays?: number },
): Promise<{ write: NewKeyWrite; secret: string }> {
  const secret = generateSecret();
  const expiresAt = policy.expiresInDays === undefined ? undefined : addDays(at, policy.expiresInDays);
  const key: KeyRecord = {
    id: newKeyId(at),
    accountId: actor.accountId,
    integrationId,
    name,
    origin,
    status: 'active',
    ...(expiresAt === undefined ? {} : { expiresAt }),
    rotationDueAt: addDays(at, policy.settings.rotationPeriodDays),
    hint: secretHint(secret),
    fingerprint: fingerprint(secret),
    createdAt: at.toISOString(),
    createdBy: actor.userId,
  };
  key.dueAt = nextCheck(key, at, policy.settings.reminderIntervalDays);
  const [signing, display] = await Promise.all([
    seal(deps.envelope, secret, contextFor(key, 'signing')),
    origin === 'auto-generated' ? seal(deps.envelope, secret, contextFor(key, 'display')) : undefined,
  ]);
  if (display !== undefined) key.displayCiphertext = display;
  const action: AuditAction = origin === 'created' ? 'key.created' : 'key.auto_generated';
  return {
    secret,
    write: {
      key,
      signing: {
        name,
        status: 'active',
        ...(expiresAt === undefined ? {} : { expiresAt }),
        createdAt: key.createdAt,
        signing,
      },
      audit: auditEvent(actor, at, action, integrationId, key.id, {
        name,
        ...(expiresAt === undefined ? {} : { expiresAt }),
      }),
    },
  };
}

export async function createIntegration(
  deps: ServiceDeps,
  actor: Actor,
  input: { name: string; legacySignatures?: boolean },
): Promise<{ integration: Integration; key: KeyView }> {
  requireAdmin(actor);
  const at = deps.clock.now();
  const integration: Integration = {
    id: newIntegrationId(at),
    accountId: actor.accountId,
    name: input.name,
    apiKey: newApiKey(),
    // Replay protection by default: the body-only form is an explicit opt-in.
    legacySignatures: input.legacySignatures ?? false,
    createdAt: at.toISOString(),
    createdBy: actor.userId,
  };
  const audit = auditEvent(actor, at, 'integration.created', integration.id, undefined, {
    name: input.name,
    legacySignatures: integration.legacySignatures,
  });
  const settings = await rotationSettings(deps, actor);
  // The auto-generated key's secret is not returned here: it waits, sealed, for its one reveal.
  const { write } = await mintKey(deps, actor, at, integration.id, 'Auto-generated key', 'auto-generated', {
    settings,
  });
  await deps.store.createIntegration({ integration, firstKey: write, audit });
  return { integration, key: toKeyView(write.key, at) };
}

export async function getIntegration(
  deps: { store: Pick<KeyStore, 'getIntegration'> },
  actor: Actor,
  integrationId: string,
): Promise<Integration> {
  const integration = await deps.store.getIntegration(actor.accountId, integrationId);
  if (!integration) throw new NotFoundError('integration', integrationId);
  return integration;
}

export function listIntegrations(
  deps: Pick<ReadDeps, 'store'>,
  actor: Actor,
  page: PageRequest,
): Promise<Page<Integration>> {
  return deps.store.listIntegrations(actor.accountId, page);
}

export async function createKey(
  deps: ServiceDeps,
  actor: Actor,
  integrationId: string,
  input: { name: string; expiresInDays?: number },
): Promise<{ key: KeyView; secret: string }> {
  requireAdmin(actor);
  const [integration, settings] = await Promise.all([
    getIntegration(deps, actor, integrationId),
    rotationSettings(deps, actor),
  ]);
  const at = deps.clock.now();
  const { write, secret } = await mintKey(deps, actor, at, integration.id, input.name, 'created', {
    settings,
    expiresInDays: input.expiresInDays,
  });
  await addWithinCap(deps, integration.apiKey, actor.accountId, () =>
    deps.store.addKey({ ...write, apiKey: integration.apiKey, maxUsableKeys: deps.maxUsableKeys }),
  );
  return { key: toKeyView(write.key, at), secret };
}

async function getKey(
  deps: Pick<ReadDeps, 'store'>,
  actor: Actor,
  integrationId: string,
  keyId: string,
): Promise<KeyRecord> {
  const key = await deps.store.getKey(actor.accountId, integrationId, keyId);
  if (!key) throw new NotFoundError('key', keyId);
  return key;
}

export async function listKeys(deps: ReadDeps, actor: Actor, integrationId: string): Promise<KeyView[]> {
  const keys = await deps.store.listKeys(actor.accountId, integrationId);
  // Every integration keeps at least its auto-generated key (revoked keys stay listed), so no keys
  // means no such integration in this account: one query instead of a read and a query.
  if (keys.length === 0) throw new NotFoundError('integration', integrationId);
  const now = deps.clock.now();
  return keys.map((key) => toKeyView(key, now));
}

function notViewable(key: KeyRecord): KeyNoLongerViewableError {
  if (key.viewedAt) {
    return new KeyNoLongerViewableError({ reason: 'viewed', viewedAt: key.viewedAt, viewedBy: key.viewedBy });
  }
  return new KeyNoLongerViewableError({ reason: key.status === 'revoked' ? 'revoked' : 'created' });
}

/**
 * The show-once reveal. Order matters (product invariant 2): decrypt first, commit second, respond
 * third. A failure before the commit leaves the display copy in place, so a retry can still get it; the
 * conditional commit lets exactly one request of the whole account win (invariant 1).
 */
export async function revealKey(
  deps: ServiceDeps,
  actor: Actor,
  integrationId: string,
  keyId: string,
): Promise<{ key: KeyView; secret: string }> {
  requireAdmin(actor);
  const key = await getKey(deps, actor, integrationId, keyId);
  if (key.displayCiphertext === undefined || key.status === 'revoked') throw notViewable(key);

  const plaintext = await deps.envelope.open(key.displayCiphertext, contextFor(key, 'display'));
  try {
    const at = deps.clock.now();
    const outcome = await deps.store.commitReveal({
      key,
      revealId: randomUUID(),
      viewedBy: actor.userId,
      viewedAt: at.toISOString(),
      audit: auditEvent(actor, at, 'key.revealed', integrationId, key.id),
    });
    if (outcome.status === 'not-viewable') throw notViewable(outcome.key);
    const { displayCiphertext: _, ...revealed } = key;
    return {
      key: toKeyView({ ...revealed, viewedAt: at.toISOString(), viewedBy: actor.userId }, at),
      secret: plaintext.toString('utf8'),
    };
  } finally {
    plaintext.fill(0);
  }
}

export async function revokeKey(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  actor: Actor,
  integrationId: string,
  keyId: string,
): Promise<KeyView> {
  requireAdmin(actor);
  const integration = await getIntegration(deps, actor, integrationId);
  const key = await getKey(deps, actor, integrationId, keyId);
  const at = deps.clock.now();
  if (key.status === 'revoked') return toKeyView(key, at);
  const outcome = await deps.store.revokeKey({
    key,
    apiKey: integration.apiKey,
    revokedBy: actor.userId,
    revokedAt: at.toISOString(),
    audit: auditEvent(actor, at, 'key.revoked', integrationId, key.id, { name: key.name }),
  });
  return toKeyView(outcome.key, at);
}

/** Renames an integration or changes whether it accepts legacy (untimestamped) signatures; audited. */
export async function updateIntegration(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  actor: Actor,
  integrationId: string,
  changes: { name?: string; legacySignatures?: boolean },
): Promise<Integration> {
  requireAdmin(actor);
  const integration = await getIntegration(deps, actor, integrationId);
  const at = deps.clock.now();
  const details = Object.fromEntries(Object.entries(changes).filter(([, value]) => value !== undefined));
  return deps.store.updateIntegration({
    integration,
    changes,
    updatedAt: at.toISOString(),
    updatedBy: actor.userId,
    audit: auditEvent(actor, at, 'integration.updated', integrationId, undefined, details),
  });
}

/**
 * Adds a key unless the usable-key cap is reached; expired keys do not count: when the cap is hit, the
 * credential's expired entries are dropped and the write tried once more.
 */
async function addWithinCap<T>(
  deps: ServiceDeps,
  apiKey: string,
  accountId: string,
  write: () => Promise<T>,
) {
  try {
    return await write();
  } catch (error) {
    if (!(error instanceof ConflictError) || error.code !== 'too_many_keys') throw error;
    const removed = await deps.store.pruneExpired(apiKey, accountId, deps.clock.now().toISOString());
    if (removed === 0) throw error;
    return write();
  }
}

/**
 * Rotation: a successor key (its secret shown once, in this response) and the old key set `expiring`,
 * verifying until the overlap ends so clients can switch without a gap.
 */
export async function rotateKey(
  deps: ServiceDeps,
  actor: Actor,
  integrationId: string,
  keyId: string,
  input: { name?: string; overlapSeconds?: number; expiresInDays?: number; origin?: KeyOrigin },
): Promise<{ key: KeyView; secret: string; previous: KeyView }> {
  requireAdmin(actor);
  const [integration, previous, settings] = await Promise.all([
    getIntegration(deps, actor, integrationId),
    getKey(deps, actor, integrationId, keyId),
    rotationSettings(deps, actor),
  ]);
  const at = deps.clock.now();
  if (toKeyView(previous, at).status !== 'active') {
    throw keyNotActive();
  }
  const overlapEnd = at.getTime() + (input.overlapSeconds ?? DEFAULT_OVERLAP_SECONDS) * 1000;
  // A key that already expires sooner (chosen at its creation) keeps that earlier end.
  const expiresAt = new Date(
    previous.expiresAt ? Math.min(overlapEnd, Date.parse(previous.expiresAt)) : overlapEnd,
  ).toISOString();
  const expiring = { ...previous, status: 'expiring' as const, expiresAt };
  const previousDueAt = nextCheck(expiring, at, settings.reminderIntervalDays);
  const name = input.name ?? `${previous.name} (rotated)`.slice(0, 100);
  // A rotation the service makes itself (a leaked secret) gives an auto-generated successor: nobody is
  // there to see a secret in the response, so an admin reveals it once, as with a new integration.
  const { write, secret } = await mintKey(deps, actor, at, integrationId, name, input.origin ?? 'created', {
    settings,
    expiresInDays: input.expiresInDays,
  });
  const audit = auditEvent(actor, at, 'key.rotated', integrationId, previous.id, {
    successor: write.key.id,
    expiresAt,
  });
  await addWithinCap(deps, integration.apiKey, actor.accountId, () =>
    deps.store.rotateKey({
      apiKey: integration.apiKey,
      previous,
      expiresAt,
      previousDueAt,
      successor: write,
      audit,
      maxUsableKeys: deps.maxUsableKeys,
    }),
  );
  return {
    key: toKeyView(write.key, at),
    secret,
    previous: toKeyView(expiring, at),
  };
}

export async function listAudit(
  deps: Pick<ReadDeps, 'store'>,
  actor: Actor,
  integrationId: string,
  page: PageRequest,
): Promise<Page<AuditEvent>> {
  await getIntegration(deps, actor, integrationId);
  return deps.store.listAudit(actor.accountId, integrationId, page);
}

/** The account's rotation policy: its own, or the deploy's defaults. */
export async function rotationSettings(
  deps: Pick<SettingsDeps, 'store' | 'defaultRotationPeriodDays'>,
  actor: Actor,
): Promise<RotationSettings> {
  const stored = await deps.store.getRotationSettings(actor.accountId);
  return {
    rotationPeriodDays: stored?.rotationPeriodDays ?? deps.defaultRotationPeriodDays,
    reminderIntervalDays: stored?.reminderIntervalDays ?? ROTATION_LIMITS.reminderIntervalDays.fallback,
    ...(stored?.updatedAt ? { updatedAt: stored.updatedAt, updatedBy: stored.updatedBy } : {}),
  };
}

/**
 * Sets the account's rotation policy (audited), then moves every key's rotation due date and place in
 * the due index to match it, so the reminder job finds keys due under the new period.
 */
export async function updateRotationSettings(
  deps: SettingsDeps,
  actor: Actor,
  changes: { rotationPeriodDays?: number; reminderIntervalDays?: number },
): Promise<RotationSettings> {
  requireAdmin(actor);
  const current = await rotationSettings(deps, actor);
  const at = deps.clock.now();
  const settings = {
    rotationPeriodDays: changes.rotationPeriodDays ?? current.rotationPeriodDays,
    reminderIntervalDays: changes.reminderIntervalDays ?? current.reminderIntervalDays,
    updatedAt: at.toISOString(),
    updatedBy: actor.userId,
  };
  await deps.store.putRotationSettings({
    accountId: actor.accountId,
    settings,
    audit: auditEvent(actor, at, 'settings.rotation_updated', undefined, undefined, {
      rotationPeriodDays: settings.rotationPeriodDays,
      reminderIntervalDays: settings.reminderIntervalDays,
    }),
  });
  await deps.store.reindexKeys(actor.accountId, (key) => {
    if (key.status === 'revoked') return undefined;
    const rotationDueAt =
      key.status === 'active' ? addDays(key.createdAt, settings.rotationPeriodDays) : undefined;
    const next = { ...key, rotationDueAt };
    return { rotationDueAt, dueAt: nextCheck(next, at, settings.reminderIntervalDays) };
  });
  return settings;
}
