import { newEventId } from './ids.js';
import type { Actor, AuditAction, AuditEvent } from './model.js';

/** An audit event of `actor` at `at`: who, what, when, from where. Never a secret in `details`. */
export function auditEvent(
  actor: Actor,
  at: Date,
  action: AuditAction,
  integrationId: string | undefined,
  keyId?: string,
  details?: AuditEvent['details'],
): AuditEvent {
  return {
    id: newEventId(at),
    accountId: actor.accountId,
    ...(integrationId === undefined ? {} : { integrationId }),
    keyId,
    action,
    actor: actor.userId,
    at: at.toISOString(),
    requestId: actor.requestId,
    sourceIp: actor.sourceIp,
    details,
  };
}
