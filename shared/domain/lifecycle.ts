import type { AuditAction, AuditEvent } from './model.js';

/** Every EventBridge event the service puts has this source. */
export const EVENT_SOURCE = 'shared-secret-keys';
export const ROTATION_DUE_DETAIL_TYPE = 'Shared Secret Key Rotation Due';

/** The detail-type of each audit action's lifecycle event ("Shared Secret Key <Action>"). */
export const DETAIL_TYPES: Record<AuditAction, string> = {
  'integration.created': 'Shared Secret Key Integration Created',
  'integration.updated': 'Shared Secret Key Integration Updated',
  'key.created': 'Shared Secret Key Created',
  'key.auto_generated': 'Shared Secret Key Auto-generated',
  'key.revealed': 'Shared Secret Key Revealed',
  'key.rotated': 'Shared Secret Key Rotated',
  'key.revoked': 'Shared Secret Key Revoked',
  'key.rotation_reminded': 'Shared Secret Key Rotation Reminded',
  'key.identified': 'Shared Secret Key Identified',
  'key.exposed': 'Shared Secret Key Exposed',
  'settings.rotation_updated': 'Shared Secret Key Rotation Settings Updated',
  'settings.leaks_updated': 'Shared Secret Key Leak Policy Updated',
};

/** An audited change as published: the audit event itself, which holds no secret. */
export interface LifecycleEvent {
  detailType: string;
  detail: AuditEvent;
}

export const lifecycleEvent = (event: AuditEvent): LifecycleEvent => ({
  detailType: DETAIL_TYPES[event.action] ?? `Shared Secret Key ${event.action}`,
  detail: event,
});

export interface EventPublisher {
  /** Puts the events on the bus; resolves with the indexes of those that were not accepted. */
  publish(events: LifecycleEvent[]): Promise<number[]>;
}

/** One change from the table's stream, with the audit events it added. */
export interface Change<Id> {
  id: Id;
  events: AuditEvent[];
}

/**
 * Publishes the changes' events in stream order and stops at the first change it cannot publish
 * whole: that change and every later one are returned as failed, so the stream consumer is retried
 * from there (partial-batch response) and nothing already published is published again. A change
 * whose events were only partly accepted is retried for the rest here first, a few times.
 */
export async function publishChanges<Id>(
  changes: Change<Id>[],
  publisher: EventPublisher,
  attempts = 3,
): Promise<Id[]> {
  for (const [index, change] of changes.entries()) {
    let pending = change.events.map(lifecycleEvent);
    for (let attempt = 0; pending.length > 0 && attempt < attempts; attempt++) {
      try {
        const failed = new Set(await publisher.publish(pending));
        pending = pending.filter((_, i) => failed.has(i));
      } catch {
        // Not accepted at all: try again below, or give up on this change and what follows.
      }
    }
    if (pending.length > 0) return changes.slice(index).map((later) => later.id);
  }
  return [];
}
