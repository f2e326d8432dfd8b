import { type App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readConfig } from './config.js';
import { StatefulStack } from './stateful-stack.js';
import { StatelessStack } from './stateless-stack.js';

export const STACK_NAMES = { stateful: 'SharedSecretKeys-Data', stateless: 'SharedSecretKeys-Api' } as const;

/** The whole app: the stateful stack (table, key, topic) and the stateless one (API, functions), nag-checked. */
export function buildApp(app: App) {
  const config = readConfig(app.node);
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };
  const stateful = new StatefulStack(app, STACK_NAMES.stateful, {
    env,
    keyAdminRoleArn: config.keyAdminRoleArn,
    alertOnForeignDecrypt: config.alertOnForeignDecrypt,
    auditAnchorRetentionDays: config.auditAnchorRetentionDays,
    description: 'Shared Secret Keys: table, KMS key and notification topic (retained on delete)',
  });
  const stateless = new StatelessStack(app, STACK_NAMES.stateless, {
    env,
    description: 'Shared Secret Keys: HTTP API, functions and authorizer',
    table: stateful.table,
    key: stateful.key,
    topic: stateful.topic,
    anchorBucketExport: stateful.anchorBucketExport,
    config,
  });
  stateless.addStackDependency(stateful);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { stateful, stateless, config };
}
