import type { Node } from 'constructs';

/** Deploy-time options, from `cdk.json` context or `-c key=value`. Every one is documented in the README. */
export interface DeployConfig {
  /** External OIDC issuer for the JWT authorizer; without it the stack creates a Cognito user pool. */
  oidcIssuer?: string;
  oidcAudience: string[];
  /** Browser origins allowed by CORS (the dashboard's). Empty: no CORS. */
  allowedOrigins: string[];
  throttleRateLimit: number;
  throttleBurstLimit: number;
  /** Reserved concurrency for each function that calls KMS on every request; 0 leaves it unreserved. */
  kmsFunctionConcurrency: number;
  /** Reserved concurrency of the public signature self-test route; 0 leaves it unreserved. */
  publicRouteConcurrency: number;
  logRetentionDays: number;
  /** The one IAM role that may rewrite the KMS key policy; without it the account keeps that right. */
  keyAdminRoleArn?: string;
  /** Opt-in (a trail costs money): alert on a display decrypt by anyone but the reveal role. */
  alertOnForeignDecrypt: boolean;
  /** The rotation period of an account that has not set its own (PUT /settings/rotation). */
  rotationPeriodDays: number;
  /** When the daily reminder runs: the hour (0-23) in `reminderTimeZone` (an IANA name). */
  reminderHour: number;
  reminderTimeZone: string;
  /** The dashboard's URL named in reminder messages (default: its CloudFront URL). */
  dashboardUrl?: string;
  /** Where GitHub publishes its secret-scanning public keys. */
  secretScanningKeysUrl: string;
  /** The Cognito managed login's domain prefix (globally unique; default shared-secret-keys-<account>). */
  authDomainPrefix?: string;
  /**
   * Opt-in: anchor each integration's audit head daily in an S3 bucket with Object Lock in compliance
   * mode, each anchor locked for this many days (no one can delete it before; README "Audit trail").
   */
  auditAnchorRetentionDays?: number;
}

function list(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  if (Array.isArray(value)) return value.map(String);
  return String(value)
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
}

function int(value: unknown, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined || value === null || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(`Context ${name} must be an integer from ${min} to ${max}; got ${String(value)}`);
  }
  return parsed;
}

export function readConfig(node: Node): DeployConfig {
  const get = (key: string) => node.tryGetContext(key) as unknown;
  const oidcIssuer = get('oidcIssuer');
  const keyAdminRoleArn = get('keyAdminRoleArn');
  const config: DeployConfig = {
    oidcIssuer: typeof oidcIssuer === 'string' && oidcIssuer !== '' ? oidcIssuer : undefined,
    oidcAudience: list(get('oidcAudience')),
    allowedOrigins: list(get('allowedOrigins')),
    throttleRateLimit: int(get('throttleRateLimit'), 50, 'throttleRateLimit', 1, 10_000),
    throttleBurstLimit: int(get('throttleBurstLimit'), 100, 'throttleBurstLimit', 1, 5_000),
    kmsFunctionConcurrency: int(get('kmsFunctionConcurrency'), 25, 'kmsFunctionConcurrency', 0, 1000),
    publicRouteConcurrency: int(get('publicRouteConcurrency'), 10, 'publicRouteConcurrency', 0, 1000),
    logRetentionDays: int(get('logRetentionDays'), 30, 'logRetentionDays', 1, 3653),
    keyAdminRoleArn:
      typeof keyAdminRoleArn === 'string' && keyAdminRoleArn !== '' ? keyAdminRoleArn : undefined,
    alertOnForeignDecrypt: [true, 'true'].includes(get('alertOnForeignDecrypt') as never),
    rotationPeriodDays: int(get('rotationPeriodDays'), 90, 'rotationPeriodDays', 1, 730),
    reminderHour: int(get('reminderHour'), 9, 'reminderHour', 0, 23),
    secretScanningKeysUrl:
      typeof get('secretScanningKeysUrl') === 'string' && get('secretScanningKeysUrl') !== ''
        ? String(get('secretScanningKeysUrl'))
        : 'https://api.github.com/meta/public_keys/secret_scanning',
    reminderTimeZone: typeof get('reminderTimeZone') === 'string' ? String(get('reminderTimeZone')) : 'UTC',
    dashboardUrl:
      typeof get('dashboardUrl') === 'string' && get('dashboardUrl') !== ''
        ? String(get('dashboardUrl'))
        : undefined,
  };
  const anchorDays = get('auditAnchorRetentionDays');
  if (anchorDays !== undefined && anchorDays !== null && anchorDays !== '') {
    config.auditAnchorRetentionDays = int(anchorDays, 0, 'auditAnchorRetentionDays', 1, 36_500);
  }
  if (!/^[A-Za-z]+(?:\/[A-Za-z0-9_+-]+){0,2}$/.test(config.reminderTimeZone)) {
    throw new Error(
      `Context reminderTimeZone must be an IANA time zone like Europe/Berlin; got ${config.reminderTimeZone}`,
    );
  }
  const prefix = get('authDomainPrefix');
  if (typeof prefix === 'string' && prefix !== '') {
    if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(prefix) || /aws|amazon|cognito/.test(prefix)) {
      throw new Error(
        `Context authDomainPrefix must be lowercase letters, digits and hyphens, without "aws", "amazon" or "cognito"; got ${prefix}`,
      );
    }
    config.authDomainPrefix = prefix;
  }
  if (!config.secretScanningKeysUrl.startsWith('https://')) {
    throw new Error('Context secretScanningKeysUrl must be an https:// URL');
  }
  if (config.dashboardUrl && !config.dashboardUrl.startsWith('https://')) {
    throw new Error('Context dashboardUrl must be an https:// URL');
  }
  if (
    config.keyAdminRoleArn &&
    !/^arn:aws[\w-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(config.keyAdminRoleArn)
  ) {
    throw new Error(`Context keyAdminRoleArn must be an IAM role ARN; got ${config.keyAdminRoleArn}`);
  }
  if (config.oidcIssuer && config.oidcAudience.length === 0) {
    throw new Error(
      'Context oidcAudience is required with oidcIssuer (the client id or audience your tokens carry)',
    );
  }
  if (config.oidcIssuer && !config.oidcIssuer.startsWith('https://')) {
    throw new Error('Context oidcIssuer must be an https:// URL');
  }
  for (const origin of config.allowedOrigins) {
    // A browser origin served over plain HTTP can be tampered with on the way; only a developer's own
    // machine is exempt.
    if (!/^https:\/\/[^/\s]+$/.test(origin) && !/^http:\/\/localhost(:\d+)?$/.test(origin)) {
      throw new Error(
        `Context allowedOrigins: "${origin}" must be an https:// origin like https://dashboard.example.com (or http://localhost)`,
      );
    }
  }
  return config;
}
