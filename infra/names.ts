import { Aws } from 'aws-cdk-lib';

/**
 * Every function's role has a fixed name, known to both stacks without a cross-stack reference: the KMS
 * key's policy (data stack) names exactly the roles (API stack) that may use each purpose, and a
 * reference in either direction would make the stacks depend on each other. The region is part of the
 * name because role names are per account and one account may run the service in several regions.
 */
export const ROLE_PREFIX = 'SharedSecretKeys';

export function pascal(name: string): string {
  return name.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
}

export function serviceRoleName(handler: string): string {
  return `${ROLE_PREFIX}-${Aws.REGION}-${pascal(handler)}`;
}

export function serviceRoleArn(handler: string): string {
  return `arn:${Aws.PARTITION}:iam::${Aws.ACCOUNT_ID}:role/${serviceRoleName(handler)}`;
}
