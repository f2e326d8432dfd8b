import { describe, expect, it } from 'vitest';
import { composeNotice, type DueKey } from '../../shared/domain/reminders.js';
import { nextCheck, reminderReason } from '../../shared/domain/rotation.js';

/** The reminder's words, exactly as an email client shows them, and the order of its keys. */
const now = new Date('2027-03-01T09:00:00.000Z');
const dueKey = (over: Partial<DueKey>): DueKey => ({
  accountId: 'acme',
  integrationId: 'int_b',
  id: 'key_1',
  name: 'Primary',
  hint: 'ssk_…abcd',
  createdAt: '2026-12-01T09:00:00.000Z',
  status: 'active',
  dueAt: '2027-03-01T00:00:00.000Z',
  ...over,
});
const names = new Map([
  ['acme/int_a', 'Billing'],
  ['acme/int_b', 'Payments'],
]);

describe('the rotation notice', () => {
  it('one line per key, sorted by integration then key name (as people read them, not by code unit), each saying what is due and how to rotate', () => {
    const notice = composeNotice(
      'acme',
      now,
      [
        {
          key: dueKey({ id: 'key_2', name: 'Zeta', rotationDueAt: '2027-03-01T09:00:00.000Z' }),
          reason: 'rotation_due',
        },
        {
          key: dueKey({
            id: 'key_3',
            name: 'Alpha',
            status: 'expiring',
            rotationDueAt: '2027-02-01T00:00:00.000Z',
            expiresAt: '2027-03-05T00:00:00.000Z',
          }),
          reason: 'expiring',
        },
        {
          key: dueKey({
            id: 'key_4',
            integrationId: 'int_a',
            name: 'Old',
            status: 'expiring',
            expiresAt: '2027-02-28T00:00:00.000Z',
          }),
          reason: 'expired',
        },
        {
          key: dueKey({
            id: 'key_5',
            integrationId: 'int_c',
            name: 'Other',
            rotationDueAt: '2027-02-20T00:00:00.000Z',
          }),
          reason: 'rotation_due',
        },
      ],
      names,
      'https://keys.example.com',
    );
    expect(notice.keys.map((key) => key.keyId)).toEqual(['key_4', 'key_5', 'key_3', 'key_2']);
    expect(notice.keys[2]).toMatchObject({
      integrationName: 'Payments',
      ageDays: 90,
      rotationDueAt: null,
      expiresAt: '2027-03-05T00:00:00.000Z',
      rotate: 'POST /integrations/int_b/keys/key_3/rotate',
    });
    expect(notice.keys[1]).toMatchObject({
      integrationName: 'int_c',
      rotationDueAt: '2027-02-20T00:00:00.000Z',
      expiresAt: null,
    });
    expect(notice.subject).toBe('Shared Secret Keys: 4 shared secret keys need attention (acme)');
    expect(notice.at).toBe(now.toISOString());
    expect(notice.text).toBe(
      [
        '4 shared secret keys need attention in account acme:',
        '',
        '- Billing / Old (ssk_…abcd) has expired: stopped verifying at 2027-02-28T00:00:00.000Z.',
        '  Rotate: POST /integrations/int_a/keys/key_4/rotate',
        '- int_c / Other (ssk_…abcd) is due for rotation: 90 days old, rotation was due 2027-02-20.',
        '  Rotate: POST /integrations/int_c/keys/key_5/rotate',
        '- Payments / Alpha (ssk_…abcd) expires soon: stops verifying at 2027-03-05T00:00:00.000Z.',
        '  Rotate: POST /integrations/int_b/keys/key_3/rotate',
        '- Payments / Zeta (ssk_…abcd) is due for rotation: 90 days old, rotation was due 2027-03-01.',
        '  Rotate: POST /integrations/int_b/keys/key_2/rotate',
        '',
        "Open the dashboard (https://keys.example.com), choose the integration, then Rotate on the key's row.",
        'Rotating shows the new secret once; the old key keeps verifying for the overlap you choose.',
        'A key that has expired no longer verifies: rotate it, or create a new key, and update the integration.',
      ].join('\n'),
    );
  });

  it('one key is "1 shared secret key needs"; without a dashboard URL it says where to go; the subject stays printable ASCII', () => {
    const notice = composeNotice(
      'acmé',
      now,
      [{ key: dueKey({ rotationDueAt: '2027-03-01T00:00:00.000Z' }), reason: 'rotation_due' }],
      names,
    );
    expect(notice.subject).toBe('Shared Secret Keys: 1 shared secret key needs attention (acm?)');
    expect(notice.text.split('\n')[0]).toBe('1 shared secret key needs attention in account acmé:');
    expect(notice.text).toContain(
      "In the dashboard: the integration's API Keys tab, then Rotate on the key's row.",
    );
    expect(notice.keys[0]?.rotationDueAt).toBe('2027-03-01T00:00:00.000Z');
  });
});

describe('reminder timing edges', () => {
  const key = dueKey({ status: 'expiring', expiresAt: now.toISOString() });
  it('a key expiring at this very instant has expired', () => {
    expect(reminderReason(key, now, 7)).toBe('expired');
  });
  it('a revoked key is never checked again, whatever dates it still carries', () => {
    expect(nextCheck({ ...key, status: 'revoked' }, now, 7)).toBeUndefined();
    expect(nextCheck(key, now, 7)).toBe(now.toISOString());
  });
});
