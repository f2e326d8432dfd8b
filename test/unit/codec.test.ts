import { describe, expect, it } from 'vitest';
import { updateExpression } from '../../shared/adapters/dynamodb/codec.js';

describe('update expressions', () => {
  it('join SET and REMOVE clauses, each list comma-separated, and leave out an empty clause', () => {
    expect(updateExpression(['a = :a', 'b = :b'], ['c', 'd'])).toBe('SET a = :a, b = :b REMOVE c, d');
    expect(updateExpression(['a = :a'])).toBe('SET a = :a');
    expect(updateExpression([], ['c'])).toBe('REMOVE c');
    expect(updateExpression([], [])).toBe('');
  });
});
