/**
 * The mutation scope (stryker.config.mjs `mutate`) cut into parts that run one at a time, each with its
 * own incremental file, so a run of hours can be done in sittings and a rerun after a change tests only
 * what changed in that part. A file belongs to the first part whose patterns match it. Parts are kept to
 * well under an hour each on a small machine: Stryker records a part's results only when it finishes.
 */
export const PARTS = {
  /** The 90% group's whole files: the signing rule, the envelope, identity and access, the reveal route. */
  critical: [
    'shared/domain/signature.ts',
    'shared/domain/signing-service.ts',
    'shared/domain/access.ts',
    'shared/domain/secret.ts',
    'shared/adapters/kms-envelope.ts',
    'shared/http/identity.ts',
    'shared/http/signature-middleware.ts',
    'functions/reveal-key.ts',
  ],
  /** The domain service (its revealKey and notViewable are in the 90% group). */
  service: ['shared/domain/service.ts'],
  /** The DynamoDB key store (its commitReveal and commitRevealOnce are in the 90% group). */
  store: ['shared/adapters/dynamodb/store.ts'],
  /** The audit trail: its hash chains, verification and anchoring. */
  audit: [
    'shared/domain/audit*.ts',
    'shared/adapters/dynamodb/audit.ts',
    'shared/adapters/dynamodb/chain.ts',
  ],
  /** Rotation policy and the reminder job. */
  reminders: [
    'shared/domain/rotation.ts',
    'shared/domain/reminders.ts',
    'shared/adapters/dynamodb/reminders.ts',
  ],
  domain: ['shared/domain/**/*.ts'],
  adapters: ['shared/adapters/**/*.ts'],
  http: ['shared/http/**/*.ts'],
  functions: ['functions/**/*.ts'],
} as const;

export type Part = keyof typeof PARTS;
export const PART_NAMES = Object.keys(PARTS) as Part[];

/** The 90% group inside larger files: these functions only. */
export const CRITICAL_FUNCTIONS: Record<string, string[]> = {
  'shared/domain/service.ts': ['revealKey', 'notViewable'],
  'shared/adapters/dynamodb/store.ts': ['commitReveal', 'commitRevealOnce'],
};

export const incrementalFile = (part: Part) => `mutation/incremental/${part}.json`;

/** Stryker's `--mutate` for one part: its patterns, less the files of earlier parts and the config's exclusions. */
export function mutatePatterns(part: Part, configMutate: string[]): string[] {
  const earlier = PART_NAMES.slice(0, PART_NAMES.indexOf(part)).flatMap((name) => PARTS[name]);
  return [
    ...PARTS[part],
    ...earlier.map((pattern) => `!${pattern}`),
    ...configMutate.filter((pattern) => pattern.startsWith('!')),
  ];
}
