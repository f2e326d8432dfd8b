import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps, Validations } from 'aws-cdk-lib';
import { ReadWriteType, Trail } from 'aws-cdk-lib/aws-cloudtrail';
import {
  AttributeType,
  Billing,
  ProjectionType,
  StreamViewType,
  TableEncryptionV2,
  TableV2,
} from 'aws-cdk-lib/aws-dynamodb';
import { type CfnRule, EventField, Rule, RuleTargetInput } from 'aws-cdk-lib/aws-events';
import { SnsTopic } from 'aws-cdk-lib/aws-events-targets';
import {
  AccountRootPrincipal,
  ArnPrincipal,
  PolicyDocument,
  PolicyStatement,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import { Alias, type CfnKey, Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TABLE } from '../shared/adapters/dynamodb/table.js';
import { type Access, internalFunctions, jobs, routes } from '../shared/routes.js';
import { serviceRoleArn } from './names.js';

/** The encryption context every data key carries, all four keys always present. */
export const CONTEXT_KEYS = ['account', 'integration', 'key', 'purpose'];

/**
 * What must outlive any deploy: the table, the KMS key and the notification topic. All are retained
 * when the stack is deleted (see the README's tear-down notes).
 */
export interface StatefulStackProps extends StackProps {
  /** The one role allowed to rewrite the key policy; without it the account (through IAM) keeps that. */
  keyAdminRoleArn?: string;
  /** A trail and an EventBridge rule that alert on a display decrypt by anyone but the reveal role. */
  alertOnForeignDecrypt?: boolean;
  /** Opt-in: the Object Lock bucket for audit anchors, each locked this many days (compliance mode). */
  auditAnchorRetentionDays?: number;
}

export class StatefulStack extends Stack {
  readonly table: TableV2;
  readonly key: Key;
  readonly topic: Topic;
  /** Where the anchor job writes each trail's heads; only when anchoring is on. */
  readonly anchorBucket?: Bucket;
  /** The export that names its ARN to the API stack (a fixed name, so policies can name it too). */
  readonly anchorBucketExport?: string;

  constructor(scope: Construct, id: string, props?: StatefulStackProps) {
    super(scope, id, props);

    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: TABLE.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE.sortKey, type: AttributeType.STRING },
      billing: Billing.onDemand(),
      globalSecondaryIndexes: [
        {
          indexName: TABLE.gsi1.indexName,
          partitionKey: { name: TABLE.gsi1.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TABLE.gsi1.sortKey, type: AttributeType.STRING },
        },
        {
          indexName: TABLE.gsi2.indexName,
          partitionKey: { name: TABLE.gsi2.partitionKey, type: AttributeType.STRING },
          sortKey: { name: TABLE.gsi2.sortKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...TABLE.gsi2.projected],
        },
        {
          indexName: TABLE.gsi3.indexName,
          partitionKey: { name: TABLE.gsi3.partitionKey, type: AttributeType.STRING },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...TABLE.gsi3.projected],
        },
      ],
      // The lifecycle events' outbox: every audited change's own write, in order (functions/publish-lifecycle.ts).
      dynamoStream: StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE.ttlAttribute,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      deletionProtection: true,
      // Secrets in it are already envelope-encrypted with the key below; the table itself uses the
      // AWS managed key, so no function needs a KMS grant just to read or write items.
      encryption: TableEncryptionV2.awsManagedKey(),
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.key = new Key(this, 'DataKey', {
      description: 'Shared Secret Keys: envelope encryption of shared secrets (display and signing copies)',
      enableKeyRotation: true,
      rotationPeriod: Duration.days(365),
      removalPolicy: RemovalPolicy.RETAIN,
      pendingWindow: Duration.days(30),
    });
    (this.key.node.defaultChild as CfnKey).keyPolicy = keyPolicy(props?.keyAdminRoleArn);
    if (props?.keyAdminRoleArn) {
      // The policy gives PutKeyPolicy to the key-admin role alone, which KMS's lockout check would refuse
      // for a key created by another principal (CloudFormation's role): that is the intent, said in the README.
      (this.key.node.defaultChild as CfnKey).bypassPolicyLockoutSafetyCheck = true;
    }
    new Alias(this, 'DataKeyAlias', { aliasName: `alias/${id.toLowerCase()}`, targetKey: this.key });

    // The topic's own key (not the AWS managed alias/aws/sns, whose policy no one can change): EventBridge
    // and CloudWatch may publish to a topic encrypted under a key whose policy lets them.
    const topicKey = new Key(this, 'TopicKey', {
      description: 'Shared Secret Keys: the notification topic',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    topicKey.addToResourcePolicy(
      new PolicyStatement({
        sid: 'PublishFromEventBridgeRules',
        principals: [new ServicePrincipal('events.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
    );
    this.topic = new Topic(this, 'Notifications', {
      displayName: 'Shared Secret Keys notifications',
      enforceSSL: true,
      masterKey: topicKey,
    });
    this.topic.applyRemovalPolicy(RemovalPolicy.RETAIN);
    if (props?.alertOnForeignDecrypt) this.alertOnForeignDecrypt();
    if (props?.auditAnchorRetentionDays) {
      this.anchorBucket = this.auditAnchors(props.auditAnchorRetentionDays);
      this.anchorBucketExport = `${id}-AuditAnchorsArn`;
      new CfnOutput(this, 'AuditAnchorBucket', { value: this.anchorBucket.bucketName });
      new CfnOutput(this, 'AuditAnchorBucketArn', {
        value: this.anchorBucket.bucketArn,
        exportName: this.anchorBucketExport,
      });
    }

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.key.keyArn });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
  }

  /**
   * The audit anchors: every object version locked in compliance mode for `days` days, so no one (the
   * account's root included) can delete or overwrite an anchor before then, and a table writer who
   * rewrites a chain with its head is caught by the anchor that still names the old head. Retained.
   */
  private auditAnchors(days: number): Bucket {
    const bucket = new Bucket(this, 'AuditAnchors', {
      objectLockEnabled: true,
      objectLockDefaultRetention: ObjectLockRetention.compliance(Duration.days(days)),
      versioned: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'Anchors are written by one role and locked in compliance mode; access logs would need a further bucket, and CloudTrail data events can be enabled on this one where required.',
    });
    return bucket;
  }

  /**
   * What policy cannot prevent, detected: a `Decrypt` of a `display` ciphertext by any principal but the
   * reveal role (an administrator who rewrote the key policy, a restored table opened elsewhere) is
   * published to the notification topic. KMS `Decrypt` is a read-only management event: EventBridge
   * receives it from CloudTrail only when a trail logs management events and the rule is enabled for
   * all CloudTrail management events (README: Threat model, with the AWS documentation cited).
   */
  private alertOnForeignDecrypt() {
    const trail = new Trail(this, 'KeyUseTrail', {
      isMultiRegionTrail: false,
      includeGlobalServiceEvents: false,
      managementEvents: ReadWriteType.ALL,
      enableFileValidation: true,
    });
    const trailBucket = trail.node.tryFindChild('S3');
    if (trailBucket) {
      Validations.of(trailBucket).acknowledge({
        id: 'AwsSolutions::AwsSolutions-S1',
        reason:
          "The bucket only holds the trail's own log files, with CloudTrail log file validation on; access logs for it would need a further bucket of their own.",
      });
    }
    const rule = new Rule(this, 'ForeignDisplayDecrypt', {
      description: 'A display ciphertext was decrypted (or tried) by a principal other than the reveal role',
      eventPattern: {
        source: ['aws.kms'],
        detailType: ['AWS API Call via CloudTrail'],
        detail: {
          eventSource: ['kms.amazonaws.com'],
          eventName: ['Decrypt'],
          requestParameters: { encryptionContext: { purpose: ['display'] } },
          resources: { ARN: [this.key.keyArn] },
          $or: [
            { userIdentity: { type: [{ 'anything-but': 'AssumedRole' }] } },
            {
              userIdentity: {
                sessionContext: {
                  sessionIssuer: { arn: [{ 'anything-but': serviceRoleArn('reveal-key') }] },
                },
              },
            },
          ],
        },
      },
      targets: [
        new SnsTopic(this.topic, {
          message: RuleTargetInput.fromText(
            `ALERT: a display ciphertext of key ${EventField.fromPath('$.detail.requestParameters.encryptionContext.key')} (account ${EventField.fromPath('$.detail.requestParameters.encryptionContext.account')}) was decrypted by ${EventField.fromPath('$.detail.userIdentity.arn')} at ${EventField.fromPath('$.detail.eventTime')} (error: ${EventField.fromPath('$.detail.errorCode')}). Only the reveal role should ever do this.`,
          ),
        }),
      ],
    });
    // Read-only management events (Decrypt is one) reach a rule only in this state.
    (rule.node.defaultChild as CfnRule).state = 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';
  }
}

/** Administration of the key, without any use of it, grants, or rewriting its policy. */
const ADMINISTRATION = [
  'kms:Describe*',
  'kms:List*',
  'kms:Get*',
  'kms:Enable*',
  'kms:Disable*',
  'kms:Update*',
  'kms:RevokeGrant',
  'kms:RetireGrant',
  'kms:CreateAlias',
  'kms:DeleteAlias',
  'kms:TagResource',
  'kms:UntagResource',
  'kms:ScheduleKeyDeletion',
  'kms:CancelKeyDeletion',
  'kms:RotateKeyOnDemand',
];

/**
 * The key policy, written out whole. CDK's default would give the account `kms:*`, so that any IAM
 * policy in the account could decrypt or grant. Here:
 * - the account (through IAM) may administer the key, but never use it, create grants, or, when a
 *   key-admin role is named, rewrite this policy (only that role may);
 * - each purpose's data keys may be generated, and decrypted, only by the exact roles the route table
 *   names for it (`display`: the reveal role alone), matched by `aws:PrincipalArn`, and only with the
 *   full encryption context. A tag, a grant or a broad IAM policy opens nothing.
 */
export function keyPolicy(keyAdminRoleArn?: string): PolicyDocument {
  const root = new AccountRootPrincipal();
  const statements = [
    new PolicyStatement({
      sid: 'KeyAdministrationByTheAccount',
      principals: [root],
      actions: keyAdminRoleArn ? ADMINISTRATION : [...ADMINISTRATION, 'kms:PutKeyPolicy'],
      resources: ['*'],
    }),
  ];
  if (keyAdminRoleArn) {
    statements.push(
      new PolicyStatement({
        sid: 'KeyPolicyByTheKeyAdminRole',
        principals: [new ArnPrincipal(keyAdminRoleArn)],
        actions: [...ADMINISTRATION, 'kms:PutKeyPolicy'],
        resources: ['*'],
      }),
    );
  }
  const functions = [...routes, ...internalFunctions, ...jobs];
  for (const purpose of ['display', 'signing'] as const) {
    for (const [action, allowed] of [
      ['kms:GenerateDataKey', (access: Access) => access.kmsGenerate],
      ['kms:Decrypt', (access: Access) => access.kmsDecrypt],
    ] as const) {
      const users = functions.filter((fn) => allowed(fn.access)?.includes(purpose)).map((fn) => fn.handler);
      if (users.length === 0) continue;
      statements.push(
        new PolicyStatement({
          sid: `${action === 'kms:Decrypt' ? 'Decrypt' : 'GenerateDataKey'}${purpose === 'display' ? 'Display' : 'Signing'}`,
          principals: [root],
          actions: [action],
          resources: ['*'],
          conditions: {
            ArnEquals: { 'aws:PrincipalArn': users.map(serviceRoleArn) },
            StringEquals: { 'kms:EncryptionContext:purpose': purpose },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': CONTEXT_KEYS },
            Null: {
              'kms:EncryptionContext:account': 'false',
              'kms:EncryptionContext:integration': 'false',
              'kms:EncryptionContext:key': 'false',
            },
          },
        }),
      );
    }
  }
  return new PolicyDocument({ statements });
}
