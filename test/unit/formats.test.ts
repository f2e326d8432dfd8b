import { describe, expect, it } from 'vitest';
import { canonicalContext, packSealed, unpackSealed } from '../../shared/adapters/kms-envelope.js';
import { requireAdmin } from '../../shared/domain/access.js';
import { ForbiddenError, IntegrityError } from '../../shared/domain/errors.js';

/**
 * The stored ciphertext's byte form and the admin check, at their edges: what mutation testing found
 * no test held (mutation/summary.md). A malformed stored value fails closed, as an integrity failure.
 */
const sealed = ['v1', Buffer.alloc(5, 1), Buffer.alloc(12, 2), Buffer.alloc(20, 3)]
  .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
  .join('.');

describe('the sealed value as stored bytes', () => {
  it('round-trips, and its layout is version, key length, key, IV length, IV, body', () => {
    const packed = Buffer.from(packSealed(sealed));
    expect(unpackSealed(packed)).toBe(sealed);
    expect([...packed.subarray(0, 4)]).toEqual([1, 0, 5, 1]);
    expect(packed.readUInt8(8)).toBe(12);
    expect(packed.length).toBe(1 + 2 + 5 + 1 + 12 + 20);
    // A view into a larger buffer reads only its own bytes.
    const offset = Buffer.concat([Buffer.alloc(7, 9), packed]).subarray(7);
    expect(unpackSealed(offset)).toBe(sealed);
  });

  it('refuses every truncation and a wrong version as an integrity failure, never a garbled value', () => {
    const packed = Buffer.from(packSealed(sealed));
    for (let length = 0; length < packed.length - 19; length++) {
      expect(() => unpackSealed(packed.subarray(0, length)), `length ${length}`).toThrow(
        new IntegrityError('Unknown ciphertext format'),
      );
    }
    // The body is everything after the IV: one byte of it is enough to parse (open checks the tag).
    expect(unpackSealed(packed.subarray(0, packed.length - 19))).toMatch(/^v1\./);
    const wrongVersion = Buffer.from(packed);
    wrongVersion[0] = 2;
    expect(() => unpackSealed(wrongVersion)).toThrow(IntegrityError);
    for (const text of ['v2.a.b.c', 'v1.a.b', 'v1.a.b.c.d', 'v1..b.c', 'v1.a..c', 'v1.a.b.']) {
      expect(() => packSealed(text), text).toThrow(IntegrityError);
    }
  });

  it('binds the same AAD bytes to a context whatever order its keys come in', () => {
    const a = canonicalContext({ account: 'a', integration: 'i', key: 'k', purpose: 'display' });
    const b = canonicalContext({ purpose: 'display', key: 'k', integration: 'i', account: 'a' });
    expect(a.equals(b)).toBe(true);
    expect(a.toString()).toBe('{"account":"a","integration":"i","key":"k","purpose":"display"}');
  });
});

describe('the admin check', () => {
  it('refuses a viewer with a message that says what is needed', () => {
    const actor = { accountId: 'a', userId: 'u', roles: ['viewer' as const], requestId: 'r', sourceIp: 'ip' };
    expect(() => requireAdmin(actor)).toThrow(ForbiddenError);
    expect(() => requireAdmin(actor)).toThrow(/needs the admin role/);
    expect(() => requireAdmin({ ...actor, roles: ['admin'] })).not.toThrow();
  });
});
