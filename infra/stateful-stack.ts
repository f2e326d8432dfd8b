import { Aws, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AttributeType, Billing, TableEncryptionV2, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { AccountRootPrincipal, Effect, PolicyDocument, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { Alias, type CfnKey, Key } from 'aws-cdk-lib/aws-kms';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { TABLE } from '../shared/adapters/dynamodb/table.js';

/** Roles carrying this tag may use the data key (their own IAM policies narrow it further, per purpose). */
export const KMS_USER_TAG = { key: 'shared-secret-keys:kms', value: 'envelope' } as const;
export const CONTEXT_KEYS = ['account', 'integration', 'key', 'purpose'];

/**
 * What must outlive any deploy: the table, the KMS key and the notification topic. All are retained
 * when the stack is deleted (see the README's tear-down notes).
 */
export class StatefulStack extends Stack {
  readonly table: TableV2;
  readonly key: Key;
  readonly topic: Topic;

  constructor(scope: Construct, id: string, props?: StackProps) {
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
      ],
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
    // The key policy is written out whole: CDK's default would give the account `kms:*`, which would let
    // any IAM policy in the account decrypt. Administration stays with the account; use needs the tag,
    // an IAM policy of the role's own, and the full encryption context.
    (this.key.node.defaultChild as CfnKey).keyPolicy = new PolicyDocument({
      statements: [
        new PolicyStatement({
          sid: 'KeyAdministrationByTheAccount',
          principals: [new AccountRootPrincipal()],
          actions: [
            'kms:Create*',
            'kms:Describe*',
            'kms:Enable*',
            'kms:List*',
            'kms:Put*',
            'kms:Update*',
            'kms:Revoke*',
            'kms:Disable*',
            'kms:Get*',
            'kms:Delete*',
            'kms:TagResource',
            'kms:UntagResource',
            'kms:ScheduleKeyDeletion',
            'kms:CancelKeyDeletion',
            'kms:RotateKeyOnDemand',
          ],
          resources: ['*'],
        }),
        new PolicyStatement({
          sid: 'EnvelopeUseByTaggedServiceRolesWithFullContext',
          effect: Effect.ALLOW,
          principals: [new AccountRootPrincipal()],
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: ['*'],
          conditions: {
            StringEquals: {
              [`aws:PrincipalTag/${KMS_USER_TAG.key}`]: KMS_USER_TAG.value,
              'kms:EncryptionContext:purpose': ['display', 'signing'],
            },
            'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': CONTEXT_KEYS },
            Null: { 'kms:EncryptionContext:account': 'false', 'kms:EncryptionContext:key': 'false' },
          },
        }),
      ],
    });
    new Alias(this, 'DataKeyAlias', { aliasName: `alias/${id.toLowerCase()}`, targetKey: this.key });

    this.topic = new Topic(this, 'Notifications', {
      displayName: 'Shared Secret Keys notifications',
      enforceSSL: true,
      masterKey: Alias.fromAliasName(this, 'SnsManagedKey', 'alias/aws/sns'),
    });
    this.topic.applyRemovalPolicy(RemovalPolicy.RETAIN);

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'KeyArn', { value: this.key.keyArn });
    new CfnOutput(this, 'TopicArn', { value: this.topic.topicArn });
    new CfnOutput(this, 'Region', { value: Aws.REGION });
  }
}
