import * as z from 'zod/mini';
import { ID_PATTERNS } from '../domain/ids.js';
import { MAX_OVERLAP_SECONDS } from '../domain/model.js';
import { ROTATION_LIMITS } from '../domain/rotation.js';
import { WEBHOOK_ID } from '../domain/signature.js';

// Each schema is built inside a pure-annotated call, so a handler's bundle drops the schemas it does not
// import instead of building all of them at cold start (about 1 ms each here).

/** Characters that show nothing: format characters (zero-width, bidi controls), separators, and blanks. */
const INVISIBLE = /[\p{Cf}\p{Z}\s\u115F\u1160\u3164\uFFA0]/gu;
/** Control characters, and the bidi overrides and isolates that can make a name display as another. */
const CONTROL = /[\p{Cc}\u202A-\u202E\u2066-\u2069]/u;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

const name = (what: string) =>
  z
    .string({
      error: (issue) => (issue.input === undefined ? `${what} is required` : `${what} must be a string`),
    })
    .check(
      z.trim(),
      z.minLength(1, `${what} is required and must not be blank`),
      z.maxLength(100, `${what} must be at most 100 characters`),
      z.refine(
        (value) => !CONTROL.test(value),
        `${what} must not contain control or bidi-override characters`,
      ),
      z.refine(
        (value) => !LONE_SURROGATE.test(value),
        `${what} must be valid Unicode (it has a lone surrogate)`,
      ),
      z.refine(
        (value) => value.replace(INVISIBLE, '') !== '',
        `${what} must contain something visible, not only blank or invisible characters`,
      ),
    );

export const CreateIntegrationBody = /* @__PURE__ */ (() =>
  z.object({
    name: name('name'),
    legacySignatures: z.optional(z.boolean('legacySignatures must be true or false')),
  }))();

export const UpdateIntegrationBody = /* @__PURE__ */ (() =>
  z
    .object({
      name: z.optional(name('name')),
      legacySignatures: z.optional(z.boolean('legacySignatures must be true or false')),
    })
    .check(
      z.refine((body) => body.name !== undefined || body.legacySignatures !== undefined, {
        message: 'send name, legacySignatures or both',
      }),
    ))();

const days = (field: string, { min, max }: { min: number; max: number }) =>
  z
    .int(`${field} must be a whole number of days`)
    .check(z.gte(min, `${field} must be at least ${min}`), z.lte(max, `${field} must be at most ${max}`));

const expiresInDays = () => z.optional(days('expiresInDays', ROTATION_LIMITS.expiresInDays));

export const CreateKeyBody = /* @__PURE__ */ (() =>
  z.object({ name: name('name'), expiresInDays: expiresInDays() }))();

export const RotationSettingsBody = /* @__PURE__ */ (() =>
  z
    .object({
      rotationPeriodDays: z.optional(days('rotationPeriodDays', ROTATION_LIMITS.rotationPeriodDays)),
      reminderIntervalDays: z.optional(days('reminderIntervalDays', ROTATION_LIMITS.reminderIntervalDays)),
    })
    .check(
      z.refine((body) => body.rotationPeriodDays !== undefined || body.reminderIntervalDays !== undefined, {
        message: 'send rotationPeriodDays, reminderIntervalDays or both',
      }),
    ))();

export const RotateKeyBody = /* @__PURE__ */ (() =>
  z.object({
    name: z.optional(name('name')),
    overlapSeconds: z.optional(
      z
        .int('overlapSeconds must be whole seconds')
        .check(
          z.gte(0, 'overlapSeconds must be at least 0'),
          z.lte(MAX_OVERLAP_SECONDS, 'overlapSeconds must be at most 7 days'),
        ),
    ),
    expiresInDays: expiresInDays(),
  }))();

export const IdentifyBody = /* @__PURE__ */ (() =>
  z.object({
    secret: z
      .string('secret is required: the shared secret you found')
      .check(z.maxLength(200, 'secret is too long to be a shared secret key')),
  }))();

export const LeakSettingsBody = /* @__PURE__ */ (() =>
  z.object({ policy: z.enum(['notify', 'revoke', 'rotate'], 'policy must be notify, revoke or rotate') }))();

/** GitHub's secret-scanning partner report: a JSON array of matches. */
export const LeakReportBody = /* @__PURE__ */ (() =>
  z
    .array(
      z.object({
        token: z.string('token is required').check(z.maxLength(1000)),
        type: z.string('type is required').check(z.maxLength(200)),
        url: z.optional(z.string().check(z.maxLength(4096))),
        source: z.optional(z.string().check(z.maxLength(200))),
      }),
    )
    .check(z.minLength(1, 'the report has no matches'), z.maxLength(100, 'at most 100 matches a report')))();

export const VerifySignatureInput = /* @__PURE__ */ (() =>
  z.object({
    apiKey: z.string('apiKey is required').check(z.maxLength(200, 'apiKey is too long')),
    signature: z.string('signature is required').check(z.maxLength(200, 'signature is too long')),
    body: z
      .string('body (base64) is required')
      .check(z.regex(/^[A-Za-z0-9+/]*={0,2}$/, 'body must be base64')),
    timestamp: z.optional(z.string('timestamp must be a string of unix seconds')),
    method: z
      .string('method is required: the HTTP method of the call')
      .check(z.regex(/^[A-Za-z]{1,16}$/, 'method must be an HTTP method')),
    path: z
      .string('path is required: the path and query the client called')
      .check(z.regex(/^\/[^\s]{0,8191}$/, 'path must start with / and contain no whitespace')),
  }))();

export const SignWebhookInput = /* @__PURE__ */ (() =>
  z.object({
    accountId: z
      .string('accountId is required: the account the integration belongs to')
      .check(z.minLength(1)),
    integrationId: z
      .string()
      .check(z.regex(ID_PATTERNS.integration, 'integrationId must be an id like int_01J…')),
    payload: z
      .string('payload must be the exact body string')
      .check(z.maxLength(1_048_576, 'payload is over 1 MiB')),
    id: z.optional(z.string().check(z.regex(WEBHOOK_ID, 'id must be msg_ followed by 1-64 of A-Z a-z 0-9'))),
  }))();

export const IntegrationParams = /* @__PURE__ */ (() =>
  z.object({
    integrationId: z
      .string()
      .check(z.regex(ID_PATTERNS.integration, 'must be an integration id like int_01J…')),
  }))();

export const KeyParams = /* @__PURE__ */ (() =>
  z.object({
    integrationId: z
      .string()
      .check(z.regex(ID_PATTERNS.integration, 'must be an integration id like int_01J…')),
    keyId: z.string().check(z.regex(ID_PATTERNS.key, 'must be a key id like key_01J…')),
  }))();

export const PageQuery = /* @__PURE__ */ (() =>
  z.object({
    limit: z._default(
      z.pipe(
        z.string().check(z.regex(/^\d+$/, 'must be a whole number from 1 to 100')),
        z.transform(Number).check(z.gte(1, 'must be at least 1'), z.lte(100, 'must be at most 100')),
      ),
      25,
    ),
    cursor: z.optional(z.string().check(z.maxLength(2048, 'is too long'))),
  }))();
