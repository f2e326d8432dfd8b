import { crc32 as zlibCrc32 } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  crc32,
  generateSecret,
  isWellFormedSecret,
  secretHint,
  toBase62,
} from '../../shared/domain/secret.js';

describe('secret format', () => {
  it('is ssk_ + 43 base62 body characters + a 6-character checksum, and validates', () => {
    const secret = generateSecret();
    expect(secret).toMatch(/^ssk_[0-9A-Za-z]{49}$/);
    expect(isWellFormedSecret(secret)).toBe(true);
  });

  it('computes the checksum exactly as the CRC-32 of zlib does, for any text', () => {
    expect(crc32('')).toBe(0);
    expect(crc32('123456789')).toBe(0xcbf43926); // the CRC-32 check value
    fc.assert(fc.property(fc.string({ unit: 'binary' }), (text) => crc32(text) === zlibCrc32(text)));
  });

  it('never repeats across many draws (256 bits from the CSPRNG)', () => {
    const seen = new Set(Array.from({ length: 2000 }, generateSecret));
    expect(seen.size).toBe(2000);
  });

  it('uses the whole alphabet in the body, so the body is not biased to a subset', () => {
    const chars = new Set(
      Array.from({ length: 500 }, generateSecret)
        .map((s) => s.slice(5, 4 + 43))
        .join(''),
    );
    expect(chars.size).toBe(62);
  });

  it('rejects any single-character change, offline', () => {
    const secret = generateSecret();
    const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
    fc.assert(
      fc.property(
        fc.integer({ min: 4, max: secret.length - 1 }),
        fc.integer({ min: 1, max: 61 }),
        (index, shift) => {
          const current = alphabet.indexOf(secret[index] ?? '0');
          const replacement = alphabet[(current + shift) % 62] ?? '0';
          const mutated = secret.slice(0, index) + replacement + secret.slice(index + 1);
          expect(isWellFormedSecret(mutated)).toBe(false);
        },
      ),
    );
  });

  it('rejects random strings of the right shape and strings of the wrong shape', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^ssk_[0-9A-Za-z]{49}$/), (candidate) => {
        // A random candidate passes the checksum with odds of about 1 in 5.7e10.
        expect(isWellFormedSecret(candidate)).toBe(false);
      }),
    );
    for (const bad of [
      '',
      'ssk_',
      `sk_${generateSecret().slice(4)}`,
      `${generateSecret()}x`,
      generateSecret().slice(0, -1),
    ]) {
      expect(isWellFormedSecret(bad)).toBe(false);
    }
  });

  it('checks the shape before the checksum: a right checksum under another prefix or alphabet is refused', () => {
    const withChecksum = (prefix: string, body: string) =>
      `${prefix}${body}${toBase62(BigInt(crc32(body)), 6)}`;
    const body = generateSecret().slice(4, 47);
    expect(isWellFormedSecret(withChecksum('ssk_', body))).toBe(true);
    expect(isWellFormedSecret(withChecksum('xyz_', body))).toBe(false);
    expect(isWellFormedSecret(withChecksum('ssk_', `${body.slice(0, -1)}-`))).toBe(false);
  });

  it('hints with the prefix and the last four characters only', () => {
    const secret = generateSecret();
    expect(secretHint(secret)).toBe(`ssk_…${secret.slice(-4)}`);
    expect(secretHint(secret)).not.toContain(secret.slice(4, 12));
  });
});
