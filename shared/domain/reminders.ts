import { randomUUID } from 'node:crypto';
import { auditEvent } from './audit.js';
import type { Actor, AuditEvent, KeyRecord } from './model.js';
import type { Clock } from './ports.js';
import {
  addDays,
  dayOf,
  nextCheck,
  type ReminderReason,
  type ReminderState,
  ROTATION_LIMITS,
  type RotationSettings,
  reminderReason,
} from './rotation.js';

/** A key as the due index holds it: what a reminder names and decides on (table.ts gsi2). */
export type DueKey = Pick<KeyRecord, 'accountId' | 'integrationId' | 'id' | 'name' | 'hint' | 'createdAt'> &
  ReminderState & { dueAt: string };

/** The reminder job's storage: the due index, and conditional writes that decide who reminds. */
export interface ReminderStore {
  /** Keys in the due index on `day` whose check time is at or before `until`, every page. */
  dueKeys(day: string, until: string): Promise<DueKey[]>;
  /** The stored rotation policies of these accounts (absent: the defaults). */
  settingsOf(accountIds: string[]): Promise<Map<string, Partial<RotationSettings>>>;
  /** Integration names by `${accountId}/${integrationId}`. */
  integrationNames(keys: { accountId: string; integrationId: string }[]): Promise<Map<string, string>>;
  /**
   * Records the reminder on the key, with its audit event and the key's next check, in one write, on
   * condition that the key is still where the index said (`dueAt`) and — for a reminder, not an expiry
   * report — that none was sent since `notRemindedSince`. False: another run decided first.
   */
  recordReminder(input: {
    key: DueKey;
    reason: ReminderReason;
    at: string;
    next: string | undefined;
    notRemindedSince: string;
    audit: AuditEvent;
  }): Promise<boolean>;
  /** Moves the key to its next check, unless it moved since it was read. */
  reschedule(key: DueKey, next: string | undefined): Promise<boolean>;
  /** The first day the next run reads (the job's progress item). */
  firstDay(): Promise<string | undefined>;
  setFirstDay(day: string): Promise<void>;
}

export interface DueKeyNotice {
  integrationId: string;
  integrationName: string;
  keyId: string;
  keyName: string;
  hint: string;
  reason: ReminderReason;
  createdAt: string;
  ageDays: number;
  rotationDueAt: string | null;
  expiresAt: string | null;
  /** The API route that rotates it (the dashboard's Rotate button calls it). */
  rotate: string;
}

/** One account's notification: every key due in this run, none of them with more than its hint. */
export interface RotationNotice {
  accountId: string;
  at: string;
  subject: string;
  text: string;
  keys: DueKeyNotice[];
}

export interface Notifier {
  /** Sends the notice: an SNS message readable as an email, and an EventBridge event. */
  notify(notice: RotationNotice): Promise<void>;
}

export interface ReminderDeps {
  store: ReminderStore;
  notifier: Notifier;
  clock: Clock;
  /** Where people rotate keys: the dashboard's URL, named in the message when the deploy knows it. */
  dashboardUrl?: string;
}

export interface ReminderRun {
  days: string[];
  /** Keys the due index returned. */
  read: number;
  notices: RotationNotice[];
  /** Keys whose write or notice failed; they stay in the index for the next run. */
  failed: number;
}

/**
 * With no progress item yet (the first run after a deploy), how far back the job reads. A key enters the
 * index no earlier than its own write, and the schedule runs daily from the deploy on, so a first run
 * finds every entry unless the job never ran for a month after the first key was made.
 */
export const FIRST_RUN_LOOKBACK_DAYS = 31;
/** How many due-index days the job queries at once. */
const DAY_CONCURRENCY = 8;

const JOB_ACTOR = (accountId: string, requestId: string): Actor => ({
  accountId,
  userId: 'shared-secret-keys/remind-rotation',
  roles: [],
  requestId,
  sourceIp: 'scheduler',
});

function daysBetween(first: string, last: string): string[] {
  const days: string[] = [];
  for (let day = first; day <= last; day = dayOf(addDays(`${day}T00:00:00.000Z`, 1))) days.push(day);
  return days;
}

async function inBatches<T, R>(items: T[], size: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = [];
  for (let i = 0; i < items.length; i += size)
    results.push(...(await Promise.all(items.slice(i, i + size).map(fn))));
  return results;
}

/**
 * One run of the rotation reminder. It reads only the due index's days since the last run (a key's
 * place there is the next time it needs a look: its rotation due date, its expiry notice or its expiry),
 * so its cost grows with what is due, not with the table. For each due key a conditional write decides,
 * once across retries and overlapping runs, that this run reminds; the write carries the key's audit
 * event and its next place in the index. Then each account with something due gets one notice.
 *
 * A crash between the writes and the notice loses that notice: the keys count as reminded and are named
 * again after the reminder interval (an expiry is not reported again). The `key.rotation_reminded`
 * lifecycle events still reach EventBridge, from the table's stream. At most once, never twice.
 */
export async function runReminders(
  deps: ReminderDeps,
  requestId: string = randomUUID(),
): Promise<ReminderRun> {
  const now = deps.clock.now();
  const at = now.toISOString();
  const today = dayOf(at);
  const stored = await deps.store.firstDay();
  // A progress day after today means a clock that went back (a run with --now in the future): read as new.
  const first = stored && stored <= today ? stored : dayOf(addDays(now, -FIRST_RUN_LOOKBACK_DAYS));
  const days = daysBetween(first, today);
  const found = (await inBatches(days, DAY_CONCURRENCY, (day) => deps.store.dueKeys(day, at))).flat();

  const accounts = [...new Set(found.map((key) => key.accountId))];
  const policies = accounts.length ? await deps.store.settingsOf(accounts) : new Map();
  const intervalOf = (accountId: string) =>
    policies.get(accountId)?.reminderIntervalDays ?? ROTATION_LIMITS.reminderIntervalDays.fallback;

  let failed = 0;
  /** The index days of the keys whose write failed: the next run starts at the earliest of them. */
  const failedDays: string[] = [];
  const due = new Map<string, { key: DueKey; reason: ReminderReason }[]>();
  await inBatches(found, 16, async (key) => {
    const interval = intervalOf(key.accountId);
    const reason = reminderReason(key, now, interval);
    try {
      if (reason === undefined) {
        await deps.store.reschedule(key, nextCheck(key, now, interval));
        return;
      }
      const after: ReminderState =
        reason === 'expired' ? { ...key, expiryNotifiedAt: at } : { ...key, remindedAt: at };
      const won = await deps.store.recordReminder({
        key,
        reason,
        at,
        next: nextCheck(after, now, interval),
        notRemindedSince: addDays(now, -interval),
        audit: auditEvent(
          JOB_ACTOR(key.accountId, requestId),
          now,
          'key.rotation_reminded',
          key.integrationId,
          key.id,
          {
            reason,
            name: key.name,
          },
        ),
      });
      if (won) due.set(key.accountId, [...(due.get(key.accountId) ?? []), { key, reason }]);
    } catch {
      failed++;
      failedDays.push(dayOf(key.dueAt));
    }
  });

  const notices: RotationNotice[] = [];
  if (due.size > 0) {
    const names = await deps.store.integrationNames(
      [...due.values()]
        .flat()
        .map(({ key }) => ({ accountId: key.accountId, integrationId: key.integrationId })),
    );
    for (const [accountId, keys] of due) {
      const notice = composeNotice(accountId, now, keys, names, deps.dashboardUrl);
      try {
        await deps.notifier.notify(notice);
        notices.push(notice);
      } catch {
        // At most once: these keys are recorded as reminded (see above); the next reminder follows the interval.
        failed += keys.length;
      }
    }
  }
  await deps.store.setFirstDay(failedDays.sort()[0] ?? today);
  return { days, read: found.length, notices, failed };
}

const WHAT = {
  rotation_due: 'is due for rotation',
  expiring: 'expires soon',
  expired: 'has expired',
} as const;

/** The notice's words: plain text an email client shows as is, one line per key, then what to do. */
export function composeNotice(
  accountId: string,
  now: Date,
  due: { key: DueKey; reason: ReminderReason }[],
  names: Map<string, string>,
  dashboardUrl?: string,
): RotationNotice {
  const keys: DueKeyNotice[] = due
    .map(({ key, reason }) => ({
      integrationId: key.integrationId,
      integrationName: names.get(`${key.accountId}/${key.integrationId}`) ?? key.integrationId,
      keyId: key.id,
      keyName: key.name,
      hint: key.hint,
      reason,
      createdAt: key.createdAt,
      ageDays: Math.floor((now.getTime() - Date.parse(key.createdAt)) / 86_400_000),
      rotationDueAt: key.status === 'active' ? (key.rotationDueAt ?? null) : null,
      expiresAt: key.expiresAt ?? null,
      rotate: `POST /integrations/${key.integrationId}/keys/${key.id}/rotate`,
    }))
    .sort((a, b) => a.integrationName.localeCompare(b.integrationName) || a.keyName.localeCompare(b.keyName));
  const count = keys.length === 1 ? '1 shared secret key needs' : `${keys.length} shared secret keys need`;
  const lines = keys.map((key) => {
    const when =
      key.reason === 'rotation_due'
        ? `${key.ageDays} days old, rotation was due ${key.rotationDueAt?.slice(0, 10)}`
        : key.reason === 'expiring'
          ? `stops verifying at ${key.expiresAt}`
          : `stopped verifying at ${key.expiresAt}`;
    return `- ${key.integrationName} / ${key.keyName} (${key.hint}) ${WHAT[key.reason]}: ${when}.\n  Rotate: ${key.rotate}`;
  });
  const where = dashboardUrl
    ? `Open the dashboard (${dashboardUrl}), choose the integration, then Rotate on the key's row.`
    : "In the dashboard: the integration's API Keys tab, then Rotate on the key's row.";
  const text = [
    `${count} attention in account ${accountId}:`,
    '',
    ...lines,
    '',
    where,
    'Rotating shows the new secret once; the old key keeps verifying for the overlap you choose.',
    'A key that has expired no longer verifies: rotate it, or create a new key, and update the integration.',
  ].join('\n');
  // SNS subjects: at most 100 printable ASCII characters.
  const subject = `Shared Secret Keys: ${count} attention (${accountId})`
    .replace(/[^\x20-\x7E]/g, '?')
    .slice(0, 100);
  return { accountId, at: now.toISOString(), subject, text, keys };
}
