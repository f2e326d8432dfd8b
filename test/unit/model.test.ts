import { describe, expect, it } from 'vitest';
import { auditEvent } from '../../shared/domain/audit.js';
import { toAuditEventView, toIntegrationView, toKeyView } from '../../shared/domain/model.js';
import { RateLimiter } from '../../shared/domain/rate-limiter.js';
import { AT, alice, day, INTEGRATION, key } from '../support/recording-store.js';

/**
 * What a caller is shown of a key, an integration and an audit event: the status a key reads at an
 * instant, which dates it shows, and the fields never shown (the account, the chain head).
 */
describe('a key as shown', () => {
  it('an active key shows its rotation due date and every absent date as null', () => {
    expect(toKeyView(key({ rotationDueAt: day(90) }), AT)).toStrictEqual({
      id: key().id,
      integrationId: INTEGRATION.id,
      name: 'Primary',
      origin: 'created',
      status: 'active',
      expiresAt: null,
      rotationDueAt: day(90),
      hint: 'ssk_…abcd',
      createdAt: key().createdAt,
      createdBy: 'alice',
      viewable: false,
      viewedAt: null,
      viewedBy: null,
      revokedAt: null,
      revokedBy: null,
      lastUsedAt: null,
    });
    expect(toKeyView(key(), AT).rotationDueAt).toBeNull();
  });

  it('reads expired from the instant its expiry passes, and shows no rotation due date then', () => {
    const expiring = key({ status: 'expiring', expiresAt: AT.toISOString(), rotationDueAt: day(90) });
    expect(toKeyView(expiring, new Date(AT.getTime() - 1)).status).toBe('expiring');
    expect(toKeyView(expiring, AT).status).toBe('expired');
    const active = key({ expiresAt: AT.toISOString(), rotationDueAt: day(90) });
    expect(toKeyView(active, new Date(AT.getTime() - 1))).toMatchObject({
      status: 'active',
      rotationDueAt: day(90),
    });
    expect(toKeyView(active, AT)).toMatchObject({
      status: 'expired',
      rotationDueAt: null,
      expiresAt: AT.toISOString(),
    });
    expect(toKeyView(key({ status: 'expiring', expiresAt: day(1) }), AT).rotationDueAt).toBeNull();
  });

  it('a revoked key reads revoked even after its expiry, with who revoked it and when', () => {
    const revoked = key({ status: 'revoked', expiresAt: day(-1), revokedAt: day(-2), revokedBy: 'bob' });
    expect(toKeyView(revoked, AT)).toMatchObject({ status: 'revoked', revokedAt: day(-2), revokedBy: 'bob' });
  });

  it('viewable while a display copy is stored; once viewed, who and when; the last use', () => {
    expect(toKeyView(key({ displayCiphertext: 'sealed' }), AT).viewable).toBe(true);
    const viewed = key({ viewedAt: day(-1), viewedBy: 'bob', lastUsedAt: day(-3) });
    expect(toKeyView(viewed, AT)).toMatchObject({
      viewable: false,
      viewedAt: day(-1),
      viewedBy: 'bob',
      lastUsedAt: day(-3),
    });
    // The sealed copy itself is never part of the view.
    expect(JSON.stringify(toKeyView(key({ displayCiphertext: 'sealed' }), AT))).not.toContain('sealed');
  });
});

describe('integrations and audit events as shown', () => {
  it('an integration without its account or chain head', () => {
    const view = toIntegrationView({ ...INTEGRATION, auditHead: 'ab'.repeat(32) });
    expect(view).toStrictEqual({
      id: INTEGRATION.id,
      name: 'Backend',
      apiKey: INTEGRATION.apiKey,
      legacySignatures: false,
      createdAt: INTEGRATION.createdAt,
      createdBy: 'alice',
    });
  });

  it('an audit event without its account; an account-wide one has no integration member at all', () => {
    const event = auditEvent(alice, AT, 'key.revealed', INTEGRATION.id, key().id, { name: 'Primary' });
    expect(event).toMatchObject({
      accountId: 'acme',
      integrationId: INTEGRATION.id,
      keyId: key().id,
      action: 'key.revealed',
      actor: 'alice',
      at: AT.toISOString(),
      requestId: alice.requestId,
      sourceIp: alice.sourceIp,
      details: { name: 'Primary' },
    });
    expect(event.id).toMatch(/^evt_/);
    expect(Object.keys(toAuditEventView(event))).not.toContain('accountId');
    const accountWide = auditEvent(alice, AT, 'settings.rotation_updated', undefined);
    expect(Object.keys(accountWide)).not.toContain('integrationId');
  });
});

describe('the rate limiter’s memory', () => {
  it('forgets the least recently seen key beyond maxKeys, and only then', () => {
    const limiter = new RateLimiter({ now: () => AT }, 1, 1, 2);
    expect(limiter.take('a').allowed).toBe(true);
    expect(limiter.take('b').allowed).toBe(true);
    // Two keys remembered, both spent.
    expect(limiter.take('a').allowed).toBe(false);
    expect(limiter.take('b').allowed).toBe(false);
    // A third key pushes out the least recently seen (a), which then starts with a full burst again.
    expect(limiter.take('c').allowed).toBe(true);
    expect(limiter.take('a').allowed).toBe(true);
    // b was pushed out by a; c is still remembered, and spent.
    expect(limiter.take('c').allowed).toBe(false);
  });

  it('says how long until the next token at its rate', () => {
    const limiter = new RateLimiter({ now: () => AT }, 0.25, 1);
    limiter.take('a');
    expect(limiter.take('a')).toStrictEqual({ allowed: false, retryAfterSeconds: 4 });
  });
});
