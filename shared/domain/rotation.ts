import type * as z from 'zod/mini';
import type * as R from '../http/response-schemas.js';
import type { KeyRecord } from './model.js';

/** An account's rotation policy (GET/PUT /settings/rotation). */
export interface RotationSettings {
  rotationPeriodDays: number;
  reminderIntervalDays: number;
  updatedAt?: string;
  updatedBy?: string;
}

export const ROTATION_LIMITS = {
  rotationPeriodDays: { min: 1, max: 730, fallback: 90 },
  reminderIntervalDays: { min: 1, max: 90, fallback: 7 },
  /** `expiresInDays` at creation or rotation. */
  expiresInDays: { min: 1, max: 730 },
} as const;

/** Keys whose expiry is this close are named in the reminder. */
export const EXPIRY_NOTICE_DAYS = 7;

const DAY_MS = 86_400_000;
export const addDays = (at: string | Date, days: number) =>
  new Date(new Date(at).getTime() + days * DAY_MS).toISOString();
export const dayOf = (at: string) => at.slice(0, 10);

/** The stored key fields the reminder rules read. */
export type ReminderState = Pick<
  KeyRecord,
  'status' | 'expiresAt' | 'rotationDueAt' | 'remindedAt' | 'expiryNotifiedAt'
>;

export type ReminderReason = 'rotation_due' | 'expiring' | 'expired';

/**
 * What the job owes a key at `now`: an expiry is reported once, in the first run after it; a reminder
 * (rotation due, or expiry within EXPIRY_NOTICE_DAYS) at most once per reminder interval.
 */
export function reminderReason(
  key: ReminderState,
  now: Date,
  intervalDays: number,
): ReminderReason | undefined {
  if (key.status === 'revoked') return undefined;
  const at = now.toISOString();
  if (key.expiresAt && key.expiresAt <= at) return key.expiryNotifiedAt ? undefined : 'expired';
  if (key.remindedAt && addDays(key.remindedAt, intervalDays) > at) return undefined;
  if (key.expiresAt && addDays(key.expiresAt, -EXPIRY_NOTICE_DAYS) <= at) return 'expiring';
  if (key.status === 'active' && key.rotationDueAt && key.rotationDueAt <= at) return 'rotation_due';
  return undefined;
}

/**
 * When the job must next look at the key — the earliest of its rotation due date, its expiry notice
 * and its expiry, none before the reminder interval allows — never before `now`; undefined when nothing
 * is left to tell (revoked, or its expiry reported). The key's place in the due index follows this.
 */
export function nextCheck(key: ReminderState, now: Date, intervalDays: number): string | undefined {
  if (key.status === 'revoked' || key.expiryNotifiedAt) return undefined;
  // A reminder (expiry notice, rotation due) waits for the interval since the last one; an expiry does not.
  const floor = key.remindedAt ? Date.parse(addDays(key.remindedAt, intervalDays)) : 0;
  const candidates: number[] = [];
  if (key.expiresAt) {
    const expiry = Date.parse(key.expiresAt);
    candidates.push(expiry, Math.max(floor, expiry - EXPIRY_NOTICE_DAYS * DAY_MS));
  }
  if (key.status === 'active' && key.rotationDueAt)
    candidates.push(Math.max(floor, Date.parse(key.rotationDueAt)));
  if (candidates.length === 0) return undefined;
  return new Date(Math.max(now.getTime(), Math.min(...candidates))).toISOString();
}

/** The policy as the API shows it (response-schemas.ts RotationSettings): never set reads as nulls. */
export const toSettingsView = (settings: RotationSettings): z.infer<typeof R.RotationSettings> => ({
  rotationPeriodDays: settings.rotationPeriodDays,
  reminderIntervalDays: settings.reminderIntervalDays,
  updatedAt: settings.updatedAt ?? null,
  updatedBy: settings.updatedBy ?? null,
});
