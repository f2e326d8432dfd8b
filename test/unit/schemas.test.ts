import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { describeIssues } from '../../shared/http/issues.js';
import * as S from '../../shared/http/schemas.js';
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

/** What a 400 says for `input`: every issue, with the field's path, as the API words it. */
function refusal(schema: keyof typeof S, input: unknown): string {
  const result = z.safeParse(S[schema] as z.ZodMiniType, input);
  if (result.success) return 'accepted';
  return describeIssues('body', result.error.issues);
}

describe('what a refusal says', () => {
  const id = 'int_01M8STXNSD0WK015E9HDB2KRD3';
  const base64 = { apiKey: 'ak_x', signature: 's', body: 'eA==', method: 'POST', path: '/x' };
  it.each([
    ['CreateIntegrationBody', {}, 'body.name: name is required'],
    ['CreateIntegrationBody', { name: 7 }, 'body.name: name must be a string'],
    [
      'CreateIntegrationBody',
      { name: '  ' },
      'body.name: name is required and must not be blank; body.name: name must contain something visible, not only blank or invisible characters',
    ],
    ['CreateIntegrationBody', { name: 'k'.repeat(101) }, 'body.name: name must be at most 100 characters'],
    [
      'CreateIntegrationBody',
      { name: 'a\u0007b' },
      'body.name: name must not contain control or bidi-override characters',
    ],
    [
      'CreateIntegrationBody',
      { name: 'invoice\u202Efdp' },
      'body.name: name must not contain control or bidi-override characters',
    ],
    [
      'CreateIntegrationBody',
      { name: 'key \ud800' },
      'body.name: name must be valid Unicode (it has a lone surrogate)',
    ],
    [
      'CreateIntegrationBody',
      { name: 'x \udc00' },
      'body.name: name must be valid Unicode (it has a lone surrogate)',
    ],
    [
      'CreateIntegrationBody',
      { name: '\u200b\u3164' },
      'body.name: name must contain something visible, not only blank or invisible characters',
    ],
    ['CreateIntegrationBody', { name: 'a\u200bb' }, 'accepted'],
    [
      'CreateIntegrationBody',
      { name: 'k', legacySignatures: 'yes' },
      'body.legacySignatures: legacySignatures must be true or false',
    ],
    ['UpdateIntegrationBody', {}, 'body: send name, legacySignatures or both'],
    ['UpdateIntegrationBody', { name: 'n' }, 'accepted'],
    [
      'UpdateIntegrationBody',
      { legacySignatures: 1 },
      'body.legacySignatures: legacySignatures must be true or false',
    ],
    [
      'CreateKeyBody',
      { name: 'k', expiresInDays: 1.5 },
      'body.expiresInDays: expiresInDays must be a whole number of days',
    ],
    [
      'CreateKeyBody',
      { name: 'k', expiresInDays: 0 },
      'body.expiresInDays: expiresInDays must be at least 1',
    ],
    ['RotationSettingsBody', {}, 'body: send rotationPeriodDays, reminderIntervalDays or both'],
    ['RotationSettingsBody', { reminderIntervalDays: 7 }, 'accepted'],
    ['RotationSettingsBody', { rotationPeriodDays: 30 }, 'accepted'],
    ['RotateKeyBody', { overlapSeconds: 0.5 }, 'body.overlapSeconds: overlapSeconds must be whole seconds'],
    ['RotateKeyBody', { overlapSeconds: -1 }, 'body.overlapSeconds: overlapSeconds must be at least 0'],
    [
      'RotateKeyBody',
      { overlapSeconds: 604_801 },
      'body.overlapSeconds: overlapSeconds must be at most 7 days',
    ],
    [
      'RotateKeyBody',
      { name: '' },
      'body.name: name is required and must not be blank; body.name: name must contain something visible, not only blank or invisible characters',
    ],
    ['IdentifyBody', {}, 'body.secret: secret is required: the shared secret you found'],
    [
      'IdentifyBody',
      { secret: 's'.repeat(201) },
      'body.secret: secret is too long to be a shared secret key',
    ],
    ['LeakSettingsBody', { policy: 'ignore' }, 'body.policy: policy must be notify, revoke or rotate'],
    ['LeakSettingsBody', { policy: 'notify' }, 'accepted'],
    ['LeakReportBody', [], 'body: the report has no matches'],
    ['LeakReportBody', [{}], 'body.0.token: token is required; body.0.type: type is required'],
    ['VerifySignatureInput', { ...base64, apiKey: undefined }, 'body.apiKey: apiKey is required'],
    ['VerifySignatureInput', { ...base64, apiKey: 'a'.repeat(201) }, 'body.apiKey: apiKey is too long'],
    ['VerifySignatureInput', { ...base64, signature: undefined }, 'body.signature: signature is required'],
    [
      'VerifySignatureInput',
      { ...base64, signature: 's'.repeat(201) },
      'body.signature: signature is too long',
    ],
    ['VerifySignatureInput', { ...base64, body: undefined }, 'body.body: body (base64) is required'],
    ['VerifySignatureInput', { ...base64, body: 'not base64!' }, 'body.body: body must be base64'],
    ['VerifySignatureInput', { ...base64, body: '!eA==' }, 'body.body: body must be base64'],
    ['VerifySignatureInput', { ...base64, body: 'eA==!' }, 'body.body: body must be base64'],
    ['VerifySignatureInput', { ...base64, body: '' }, 'accepted'],
    ['VerifySignatureInput', base64, 'accepted'],
    [
      'IntegrationParams',
      { integrationId: 'int_x' },
      'body.integrationId: must be an integration id like int_01J…',
    ],
    ['KeyParams', { integrationId: id, keyId: 'k' }, 'body.keyId: must be a key id like key_01J…'],
    ['PageQuery', { limit: '0' }, 'body.limit: must be at least 1'],
    ['PageQuery', { limit: 'ten' }, 'body.limit: must be a whole number from 1 to 100'],
  ] as const)('%s %j: %s', (schema, input, expected) => {
    expect(refusal(schema, input)).toBe(expected);
  });

  it('a report of more than 100 matches, and more than five issues, are refused in few words', () => {
    const matches = Array.from({ length: 101 }, () => ({ token: 't', type: 'x' }));
    expect(refusal('LeakReportBody', matches)).toBe('body: at most 100 matches a report');
    const issues = refusal(
      'LeakReportBody',
      Array.from({ length: 7 }, () => ({})),
    );
    expect(issues.split('; ')).toHaveLength(5);
  });

  it('sign-webhook accepts only msg_ ids, so the signed content can never begin like an inbound one', () => {
    for (const webhookId of ['1700000000', '0', 'evt_1', 'msg_', 'msg_a.b', 'msg_\n']) {
      expect(
        refusal('SignWebhookInput', { accountId: 'acme', integrationId: id, payload: 'x', id: webhookId }),
      ).toBe('body.id: id must be msg_ followed by 1-64 of A-Z a-z 0-9');
    }
  });
});
