import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { CreateKeyBody, UpdateIntegrationBody } from '../../shared/http/schemas.js';

const accepts = (name: string) => z.safeParse(CreateKeyBody, { name }).success;

describe('names', () => {
  it.each([
    ['blank', '   '],
    ['only zero-width characters', '\u200b\u200c\u2060'],
    ['only a Hangul filler', '\u3164'],
    ['a control character', 'a\u0007b'],
    ['a bidi override', 'invoice\u202Efdp.exe'],
    ['a lone surrogate', 'key \ud800'],
    ['101 characters', 'k'.repeat(101)],
  ])('refuses %s', (_, name) => {
    expect(accepts(name)).toBe(false);
  });

  it.each([['Primary'], ['Ünïcode 名前'], ['🔑 payments'], ['👩‍💻 dev key']])('accepts %s', (name) => {
    expect(accepts(name)).toBe(true);
  });

  it('never accepts a name with a control character inside it (edges are trimmed)', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.integer({ min: 0, max: 31 }),
        fc.string({ maxLength: 40 }),
        (before, code, after) => {
          expect(accepts(`a${before}${String.fromCharCode(code)}${after}x`.slice(0, 100))).toBe(false);
        },
      ),
    );
  });

  it('PATCH needs something to change', () => {
    expect(z.safeParse(UpdateIntegrationBody, {}).success).toBe(false);
    expect(z.safeParse(UpdateIntegrationBody, { legacySignatures: true }).success).toBe(true);
  });
});
