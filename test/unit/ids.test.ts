import { describe, expect, it } from 'vitest';
import {
  ID_PATTERNS,
  newApiKey,
  newEventId,
  newIntegrationId,
  newKeyId,
  timeOfId,
  timeOrderedId,
} from '../../shared/domain/ids.js';

/**
 * Ids sort by creation (newest-first key order, audit event order and the chain depend on it): the
 * time they carry, their order within one millisecond, and their shapes.
 */
const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
/** The 16 random characters as one number, to see each id of a millisecond follow the last by one. */
const tailValue = (id: string) =>
  [...id.slice(-16)].reduce((n, c) => n * 32n + BigInt(CROCKFORD.indexOf(c)), 0n);

describe('time-ordered ids', () => {
  it.each(['1970-01-01T00:00:00.000Z', '2026-12-01T12:34:56.789Z', '2286-11-20T17:46:39.999Z'])(
    'carry the millisecond they were made in (%s)',
    (iso) => {
      const id = timeOrderedId(new Date(iso));
      expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
      expect(timeOfId(`key_${id}`)).toBe(iso);
    },
  );

  it('the time is the leading ten characters, most significant first', () => {
    expect(timeOrderedId(new Date(0)).slice(0, 10)).toBe('0000000000');
    expect(timeOrderedId(new Date(31)).slice(0, 10)).toBe('000000000Z');
    expect(timeOrderedId(new Date(32)).slice(0, 10)).toBe('0000000010');
  });

  it('within one millisecond each id is the last one plus one, carrying across digits', () => {
    const at = new Date('2026-12-01T00:00:00.001Z');
    const ids = Array.from({ length: 2000 }, () => timeOrderedId(at));
    for (let i = 1; i < ids.length; i++) {
      expect(ids[i]?.slice(0, 10)).toBe(ids[0]?.slice(0, 10));
      expect(tailValue(ids[i] as string) - tailValue(ids[i - 1] as string)).toBe(1n);
    }
    expect([...ids].sort()).toEqual(ids);
  });

  it('a new millisecond starts from fresh random with headroom (its first random digit below G), and sorts later', () => {
    const ids = Array.from({ length: 200 }, (_, i) => timeOrderedId(new Date(Date.UTC(2027, 0, 1) + i)));
    for (const id of ids) expect(CROCKFORD.indexOf(id[10] as string)).toBeLessThan(16);
    expect([...ids].sort()).toEqual(ids);
    // Random, not a counter: fresh tails do not follow one another, and their first digits vary.
    const steps = ids.slice(1).map((id, i) => tailValue(id) - tailValue(ids[i] as string));
    expect(steps.filter((step) => step === 1n).length).toBeLessThan(5);
    expect(new Set(ids.map((id) => id[10])).size).toBeGreaterThan(8);
  });

  it('the time of an id is read after its prefix, whatever the prefix', () => {
    const at = new Date('2026-12-01T12:00:00.000Z');
    expect(timeOfId(newKeyId(at))).toBe(at.toISOString());
    expect(timeOfId(newIntegrationId(at))).toBe(at.toISOString());
    expect(timeOfId(newEventId(at))).toBe(at.toISOString());
  });
});

describe('id shapes', () => {
  it('each kind of id has its prefix and matches its pattern, and no other', () => {
    const at = new Date();
    const made = {
      integration: newIntegrationId(at),
      key: newKeyId(at),
      apiKey: newApiKey(),
      event: newEventId(at),
    };
    for (const [kind, id] of Object.entries(made)) {
      for (const [patternKind, pattern] of Object.entries(ID_PATTERNS)) {
        expect(pattern.test(id), `${kind} id ${id} against the ${patternKind} pattern`).toBe(
          kind === patternKind,
        );
      }
    }
  });

  it('api keys are unguessable: 22 random base62 characters each time', () => {
    const keys = Array.from({ length: 100 }, newApiKey);
    expect(new Set(keys).size).toBe(100);
    for (const k of keys) expect(k).toMatch(/^ak_[0-9A-Za-z]{22}$/);
  });

  it.each([
    ['int_01M8STXNSD0WK015E9HDB2KRD', 'integration'],
    ['int_01M8STXNSD0WK015E9HDB2KRD3X', 'integration'],
    ['int_01M8STXNSD0WK015E9HDB2KRDI', 'integration'],
    ['xint_01M8STXNSD0WK015E9HDB2KRD3', 'integration'],
    ['key_01m8stxnsd4zy5fgn1kn4w6r3f', 'key'],
    ['ak_AAAAAAAAAAAAAAAAAAAAA', 'apiKey'],
    ['ak_AAAAAAAAAAAAAAAAAAAAA-', 'apiKey'],
    ['evt_01M8STXNSD4ZY5FGN1KN4W6R3GU', 'event'],
  ] as const)('%s is no %s id', (id, kind) => {
    expect(ID_PATTERNS[kind].test(id)).toBe(false);
  });
});
