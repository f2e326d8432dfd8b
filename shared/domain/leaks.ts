import { createHash } from 'node:crypto';
import type * as z from 'zod/mini';
import type * as R from '../http/response-schemas.js';
import { requireAdmin } from './access.js';
import { auditEvent } from './audit.js';
import { NotFoundError, RateLimitedError } from './errors.js';
import type { Actor } from './model.js';
import type { FoundKey } from './ports.js';
import type { RateLimiter } from './rate-limiter.js';
import { isWellFormedSecret } from './secret.js';
import type { ServiceDeps } from './service.js';
import { revokeKey, rotateKey } from './service.js';
import { fingerprint } from './signature.js';

/** What the service does with a key whose secret was reported leaked. */
export type LeakPolicy = 'notify' | 'revoke' | 'rotate';
export const LEAK_POLICIES: readonly LeakPolicy[] = ['notify', 'revoke', 'rotate'];
export const DEFAULT_LEAK_POLICY: LeakPolicy = 'revoke';

export interface LeakSettings {
  policy: LeakPolicy;
  updatedAt?: string;
  updatedBy?: string;
}

export const toLeakSettingsView = (settings: LeakSettings): z.infer<typeof R.LeakSettings> => ({
  policy: settings.policy,
  updatedAt: settings.updatedAt ?? null,
  updatedBy: settings.updatedBy ?? null,
});

export async function leakSettings(deps: Pick<ServiceDeps, 'store'>, actor: Actor): Promise<LeakSettings> {
  return (await deps.store.getLeakPolicy(actor.accountId)) ?? { policy: DEFAULT_LEAK_POLICY };
}

export async function updateLeakSettings(
  deps: Pick<ServiceDeps, 'store' | 'clock'>,
  actor: Actor,
  input: { policy: LeakPolicy },
): Promise<LeakSettings> {
  requireAdmin(actor);
  const at = deps.clock.now();
  const settings = { policy: input.policy, updatedAt: at.toISOString(), updatedBy: actor.userId };
  await deps.store.putLeakPolicy({
    accountId: actor.accountId,
    settings,
    audit: auditEvent(actor, at, 'settings.leaks_updated', undefined, undefined, { policy: input.policy }),
  });
  return settings;
}

/** The key a secret belongs to, if it is one of ours: found by its fingerprint, nothing decrypted. */
async function keyOfSecret(deps: Pick<ServiceDeps, 'store'>, secret: string): Promise<FoundKey | undefined> {
  if (!isWellFormedSecret(secret)) return undefined;
  return deps.store.findKeyByFingerprint(fingerprint(secret));
}

/**
 * "Which key is this?": for the person who finds a secret in a log or a config. Answers the account's
 * key (id, name, status, created) or 404 — the same 404 for a random string, a malformed one and
 * another account's key. It never decrypts and never returns a secret; each answer is audited
 * (`key.identified`), and a per-user limit keeps it from testing guesses at scale (a secret has 256
 * random bits: guessing is hopeless anyway).
 */
export async function identifyKey(
  deps: Pick<ServiceDeps, 'store' | 'clock'> & { limiter: RateLimiter },
  actor: Actor,
  input: { secret: string; integrationId?: string },
) {
  requireAdmin(actor);
  const limit = deps.limiter.take(`${actor.accountId}/${actor.userId}`);
  if (!limit.allowed) throw new RateLimitedError(limit.retryAfterSeconds);
  const key = await keyOfSecret(deps, input.secret);
  if (
    !key ||
    key.accountId !== actor.accountId ||
    (input.integrationId && key.integrationId !== input.integrationId)
  ) {
    throw new NotFoundError('key', 'for this secret');
  }
  const at = deps.clock.now();
  await deps.store.recordKeyEvent({
    key,
    audit: auditEvent(actor, at, 'key.identified', key.integrationId, key.id, { name: key.name }),
  });
  return {
    id: key.id,
    integrationId: key.integrationId,
    name: key.name,
    status:
      key.expiresAt && key.expiresAt <= at.toISOString() && key.status !== 'revoked' ? 'expired' : key.status,
    createdAt: key.createdAt,
  };
}

/** One match in a secret-scanning report (GitHub's partner format). */
export interface LeakReport {
  token: string;
  type: string;
  url?: string;
  source?: string;
}

/** GitHub's feedback on each reported token: never the token itself, never whose it is. */
export type LeakFeedback = z.infer<typeof R.LeakFeedback>[number];

const SCANNER = (accountId: string, requestId: string): Actor => ({
  accountId,
  userId: 'secret-scanning',
  roles: ['admin'],
  requestId,
  sourceIp: 'secret-scanning',
});

/**
 * A verified secret-scanning report: each well-formed token of ours gets a `key.exposed` audit event
 * (with the report's url and source) and the account's leak policy — notify (the event alone), revoke,
 * or rotate (an auto-generated successor, viewable once by an admin, and the leaked key expiring after
 * the default overlap). Unknown or malformed tokens cost no write.
 */
export async function handleLeakReports(
  deps: ServiceDeps,
  reports: LeakReport[],
  requestId: string,
): Promise<LeakFeedback[]> {
  const feedback: LeakFeedback[] = [];
  for (const report of reports) {
    const key = await keyOfSecret(deps, report.token);
    feedback.push({
      token_hash: createHash('sha256').update(report.token).digest('hex'),
      token_type: report.type,
      label: key ? 'true_positive' : 'false_positive',
    });
    if (!key || key.status === 'revoked') continue;
    const actor = SCANNER(key.accountId, requestId);
    const at = deps.clock.now();
    const policy = (await deps.store.getLeakPolicy(key.accountId))?.policy ?? DEFAULT_LEAK_POLICY;
    await deps.store.recordKeyEvent({
      key,
      audit: auditEvent(actor, at, 'key.exposed', key.integrationId, key.id, {
        name: key.name,
        policy,
        ...(report.url ? { url: report.url.slice(0, 2048) } : {}),
        ...(report.source ? { source: report.source.slice(0, 64) } : {}),
      }),
    });
    if (policy === 'revoke') await revokeKey(deps, actor, key.integrationId, key.id);
    if (policy === 'rotate' && key.status === 'active') {
      await rotateKey(deps, actor, key.integrationId, key.id, { origin: 'auto-generated' });
    }
  }
  return feedback;
}
