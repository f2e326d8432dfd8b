import * as z from 'zod/mini';

/** Response shapes: for the OpenAPI document and the tests, never bundled into a handler. */
const Timestamp = z.iso.datetime();
const NullableTimestamp = z.nullable(z.iso.datetime());
const Sha256 = z.string().check(z.regex(/^[0-9a-f]{64}$/));

export const IntegrationView = z.object({
  id: z.string(),
  name: z.string(),
  apiKey: z.string(),
  legacySignatures: z.boolean(),
  updatedAt: z.optional(z.string()),
  updatedBy: z.optional(z.string()),
  createdAt: Timestamp,
  createdBy: z.string(),
});

export const KeyView = z.object({
  id: z.string(),
  integrationId: z.string(),
  name: z.string(),
  origin: z.enum(['created', 'auto-generated']),
  status: z.enum(['active', 'expiring', 'expired', 'revoked']),
  expiresAt: NullableTimestamp,
  rotationDueAt: NullableTimestamp,
  hint: z.string(),
  createdAt: Timestamp,
  createdBy: z.string(),
  viewable: z.boolean(),
  viewedAt: NullableTimestamp,
  viewedBy: z.nullable(z.string()),
  revokedAt: NullableTimestamp,
  revokedBy: z.nullable(z.string()),
  lastUsedAt: NullableTimestamp,
});

export const SecretResponse = z.object({
  key: KeyView,
  secret: z.string().check(z.regex(/^ssk_[0-9A-Za-z]{49}$/)),
});

export const IntegrationCreated = z.object({ integration: IntegrationView, key: KeyView });

export const IntegrationList = z.object({
  items: z.array(IntegrationView),
  nextCursor: z.nullable(z.string()),
});

export const KeyList = z.object({ items: z.array(KeyView) });

export const AuditEventView = z.object({
  id: z.string(),
  integrationId: z.optional(z.string()),
  keyId: z.optional(z.string()),
  action: z.enum([
    'integration.created',
    'integration.updated',
    'key.created',
    'key.auto_generated',
    'key.revealed',
    'key.revoked',
    'key.rotated',
    'key.rotation_reminded',
    'key.identified',
    'key.exposed',
    'settings.rotation_updated',
    'settings.leaks_updated',
  ]),
  actor: z.string(),
  at: Timestamp,
  requestId: z.string(),
  sourceIp: z.string(),
  details: z.optional(z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]))),
  /** The hash of the event before it in its item's chain (64 zeros for the first); hex SHA-256. */
  prevHash: z.optional(Sha256),
  /** SHA-256 over the event's canonical serialisation with prevHash (README "Audit trail"). */
  hash: z.optional(Sha256),
});

export const AuditList = z.object({ items: z.array(AuditEventView), nextCursor: z.nullable(z.string()) });

export const AuditVerification = z.object({
  integrationId: z.string(),
  verifiedAt: Timestamp,
  /** Every chain recomputes from its first event to its head, and holds the last anchor's heads. */
  ok: z.boolean(),
  events: z.number(),
  /** Events written before the chain existed: counted, not verifiable. */
  unchained: z.number(),
  /** The trail's head: SHA-256 over its items' heads, what an anchor records. */
  head: Sha256,
  chains: z.array(z.object({ item: z.string(), events: z.number(), head: z.nullable(Sha256) })),
  /** The first break, in item order; null when there is none. */
  break: z.nullable(
    z.object({
      item: z.string(),
      eventId: z.nullable(z.string()),
      reason: z.enum(['edited', 'missing-before', 'head-mismatch', 'unlinked', 'anchor-mismatch']),
      message: z.string(),
    }),
  ),
  /** The last anchor written to the Object Lock bucket, if anchoring is on and one exists. */
  anchor: z.nullable(z.object({ at: Timestamp, head: Sha256, holds: z.boolean() })),
});

export const RotateResponse = z.object({
  key: KeyView,
  secret: SecretResponse.shape.secret,
  previous: KeyView,
});

export const SignatureCheckResponse = z.object({
  valid: z.literal(true),
  keyId: z.string(),
  keyName: z.string(),
});

export const ErrorResponse = z.object({
  error: z.object({ code: z.string(), message: z.string() }),
});

export const RotationSettings = z.object({
  rotationPeriodDays: z.int(),
  reminderIntervalDays: z.int(),
  updatedAt: NullableTimestamp,
  updatedBy: z.nullable(z.string()),
});

export const LeakSettings = z.object({
  policy: z.enum(['notify', 'revoke', 'rotate']),
  updatedAt: NullableTimestamp,
  updatedBy: z.nullable(z.string()),
});

export const IdentifiedKey = z.object({
  id: z.string(),
  integrationId: z.string(),
  name: z.string(),
  status: z.enum(['active', 'expiring', 'expired', 'revoked']),
  createdAt: Timestamp,
});

export const LeakFeedback = z.array(
  z.object({
    token_hash: z.string(),
    token_type: z.string(),
    label: z.enum(['true_positive', 'false_positive']),
  }),
);

export const Health = z.object({ status: z.literal('ok') });
