import { describe, expect, it } from 'vitest';
import {
  appendEvent,
  credentialOf,
  eventsOf,
  storedEvent,
  updateExpression,
  withHead,
} from '../../shared/adapters/dynamodb/codec.js';
import { link } from '../../shared/domain/audit-chain.js';
import { IntegrityError } from '../../shared/domain/errors.js';
import { revealAudit } from '../support/fixtures.js';

describe('update expressions', () => {
  it('join SET and REMOVE clauses, each list comma-separated, and leave out an empty clause', () => {
    expect(updateExpression(['a = :a', 'b = :b'], ['c', 'd'])).toBe('SET a = :a, b = :b REMOVE c, d');
    expect(updateExpression(['a = :a'])).toBe('SET a = :a');
    expect(updateExpression([], ['c'])).toBe('REMOVE c');
    expect(updateExpression([], [])).toBe('');
  });
});

describe('stored audit events', () => {
  const links = link(revealAudit, undefined);

  it("keep a keyId only when it is not the item's own key: an integration item's event about a key keeps it", () => {
    expect(storedEvent(revealAudit, links, revealAudit.keyId)).not.toHaveProperty('keyId');
    expect(storedEvent(revealAudit, links)).toMatchObject({ keyId: revealAudit.keyId });
    expect(storedEvent({ ...revealAudit, keyId: undefined }, links)).not.toHaveProperty('keyId');
    expect(storedEvent(revealAudit, links, 'key_other')).toMatchObject({ keyId: revealAudit.keyId });
  });

  it("an item's first event is written on condition it has no head yet; a later one, that the head is the one read", () => {
    const first = appendEvent(revealAudit, undefined);
    expect(first.condition).toBe('attribute_not_exists(#auditHead)');
    expect(first.values).not.toHaveProperty(':seenHead');
    const later = appendEvent(revealAudit, links.hash);
    expect(later.condition).toBe('#auditHead = :seenHead');
    expect(later.values[':seenHead']).toEqual(Buffer.from(links.hash, 'hex'));
  });

  it('an item without an audit map, or with something else there, has no events', () => {
    expect(eventsOf(undefined, 'acme')).toEqual([]);
    expect(eventsOf({ audit: 'x' }, 'acme')).toEqual([]);
    expect(eventsOf({ audit: 7 }, 'acme')).toEqual([]);
  });

  it('a record without a head reads back without one', () => {
    expect(withHead({ pk: 'p', sk: 's', name: 'n' })).not.toHaveProperty('auditHead');
  });

  it('a signing copy stored in an unknown form is an integrity failure, not a key', () => {
    const credential = { apiKey: 'ak', accountId: 'acme', integrationId: 'int', legacySignatures: false };
    expect(() => credentialOf({ ...credential, keys: { key_1: { signing: 42 } } })).toThrow(
      new IntegrityError('Stored ciphertext has an unknown form'),
    );
    expect(credentialOf({ ...credential, keys: { key_1: { signing: 'v1.text' } } }).keys.key_1?.signing).toBe(
      'v1.text',
    );
  });
});
