import { join } from 'node:path';
import { Duration, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Architecture, LoggingFormat, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { type Access, memoryOf, timeoutOf, usesKms } from '../shared/routes.js';
import { BUNDLE } from './bundling.js';
import { serviceRoleName } from './names.js';
import { ROOT } from './paths.js';
import { CONTEXT_KEYS } from './stateful-stack.js';

export interface ServiceFunctionProps {
  /** The file under functions/ (without .ts). */
  handler: string;
  description: string;
  access: Access;
  memoryMb?: number;
  timeoutSeconds?: number;
  sourceMapsAtRuntime?: boolean;
  table: ITableV2;
  key: IKey;
  /** The notification topic, for a function whose access includes snsPublish. */
  topic?: ITopic;
  /** The audit anchors' bucket, when anchoring is on, for a function whose access includes auditAnchors. */
  anchorBucket?: IBucket;
  logRetention: RetentionDays;
  reservedConcurrency?: number;
  environment?: Record<string, string>;
}

/**
 * Every function of the service, with one set of defaults: Node.js 24 on arm64, ESM bundled and
 * minified by the local esbuild (never Docker) with every dependency inside, source maps, JSON logs to a
 * log group with retention, X-Ray tracing, and a role of its own that allows exactly its `access`.
 */
export class ServiceFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ServiceFunctionProps) {
    super(scope, id);
    const kms = usesKms(props.access);

    const logGroup = new LogGroup(this, 'Logs', { retention: props.logRetention });
    this.role = new Role(this, 'Role', {
      // Fixed, because the KMS key policy names the roles that may use each purpose (infra/names.ts).
      roleName: serviceRoleName(props.handler),
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Shared Secret Keys ${props.handler}`,
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'WriteOwnLogs',
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    );

    this.fn = new NodejsFunction(this, 'Function', {
      entry: join(ROOT, 'functions', `${props.handler}.ts`),
      handler: 'handler',
      description: props.description.slice(0, 256),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: memoryOf(props),
      timeout: Duration.seconds(timeoutOf(props)),
      role: this.role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      tracing: Tracing.ACTIVE,
      reservedConcurrentExecutions: props.reservedConcurrency || undefined,
      projectRoot: ROOT,
      depsLockFilePath: join(ROOT, 'package-lock.json'),
      environment: {
        TABLE_NAME: props.table.tableName,
        ...(kms ? { KMS_KEY_ID: props.key.keyArn } : {}),
        POWERTOOLS_SERVICE_NAME: 'shared-secret-keys',
        ...(props.sourceMapsAtRuntime === false ? {} : { NODE_OPTIONS: '--enable-source-maps' }),
        ...(props.access.auditAnchors && props.anchorBucket
          ? { ANCHOR_BUCKET: props.anchorBucket.bucketName }
          : {}),
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: BUNDLE.target,
        mainFields: [...BUNDLE.mainFields],
        minify: BUNDLE.minify,
        sourceMap: BUNDLE.sourcemap,
        sourcesContent: BUNDLE.sourcesContent,
        // Nothing is left to the runtime's preinstalled SDK: what is measured is what runs.
        bundleAwsSDK: true,
        forceDockerBundling: false,
        banner: BUNDLE.banner,
        esbuildArgs: Object.fromEntries(
          Object.entries(BUNDLE.alias).map(([from, to]) => [`--alias:${from}`, to]),
        ),
      },
    });

    bindTable(this.role, props.table, props.access);
    if (kms) {
      bindKey(this.role, props.key, props.access);
    }
    bindNotifications(this.role, props.access, props.topic);
    if (props.anchorBucket) bindAnchors(this.role, props.access, props.anchorBucket);
  }
}

/**
 * The anchor bucket: list and get for `read`, and put for `write`. No delete, no retention or legal-hold
 * change, no bypass of governance mode: compliance mode would refuse them anyway, and the role never asks.
 */
export function bindAnchors(role: Role, access: Access, bucket: IBucket) {
  if (!access.auditAnchors) return;
  role.addToPolicy(
    new PolicyStatement({ sid: 'ListAnchors', actions: ['s3:ListBucket'], resources: [bucket.bucketArn] }),
  );
  role.addToPolicy(
    new PolicyStatement({
      sid: access.auditAnchors === 'write' ? 'ReadWriteAnchors' : 'ReadAnchors',
      actions: access.auditAnchors === 'write' ? ['s3:GetObject', 's3:PutObject'] : ['s3:GetObject'],
      resources: [bucket.arnForObjects('anchors/*')],
    }),
  );
}

/** DynamoDB: exactly the actions the function calls, on the table (and its index only if it queries it). */
export function bindTable(role: Role, table: ITableV2, access: Access) {
  if (access.dynamodb.length === 0) return;
  const resources = [table.tableArn];
  if (access.dynamodbIndex) resources.push(`${table.tableArn}/index/${access.dynamodbIndex}`);
  role.addToPolicy(new PolicyStatement({ sid: 'TableAccess', actions: [...access.dynamodb], resources }));
}

/**
 * KMS: data keys only for the purposes the function writes, decrypt only for the purposes it reads, and
 * never without the full encryption context. Written out because grant helpers add unconditional calls.
 */
export function bindKey(role: Role, key: IKey, access: Access) {
  const grants = [
    { sid: 'GenerateDataKeys', action: 'kms:GenerateDataKey', purposes: access.kmsGenerate },
    { sid: 'DecryptDataKeys', action: 'kms:Decrypt', purposes: access.kmsDecrypt },
  ];
  for (const { sid, action, purposes } of grants) {
    if (!purposes?.length) continue;
    role.addToPolicy(
      new PolicyStatement({
        sid,
        actions: [action],
        resources: [key.keyArn],
        conditions: {
          StringEquals: { 'kms:EncryptionContext:purpose': purposes },
          'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': CONTEXT_KEYS },
        },
      }),
    );
  }
}

/**
 * SNS and EventBridge: publish to the one topic, put events on the default bus. The topic is encrypted
 * under its own key, which SNS uses on the publisher's behalf: allowed only through SNS (kms:ViaService),
 * so the role still cannot decrypt anything itself.
 */
export function bindNotifications(role: Role, access: Access, topic?: ITopic) {
  if (access.snsPublish) {
    if (!topic) throw new Error('A function that publishes to SNS needs the topic');
    role.addToPolicy(
      new PolicyStatement({
        sid: 'PublishNotifications',
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
      }),
    );
    if (topic.masterKey) {
      role.addToPolicy(
        new PolicyStatement({
          sid: 'EncryptNotificationsThroughSns',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [topic.masterKey.keyArn],
          conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(role).region}.amazonaws.com` } },
        }),
      );
    }
  }
  if (access.eventsPut) {
    const stack = Stack.of(role);
    role.addToPolicy(
      new PolicyStatement({
        sid: 'PutLifecycleEvents',
        actions: ['events:PutEvents'],
        resources: [stack.formatArn({ service: 'events', resource: 'event-bus', resourceName: 'default' })],
      }),
    );
  }
}
