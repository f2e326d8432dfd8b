import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import {
  Distribution,
  HeadersFrameOption,
  HeadersReferrerPolicy,
  PriceClass,
  ResponseHeadersPolicy,
  SecurityPolicyProtocol,
  ViewerProtocolPolicy,
} from 'aws-cdk-lib/aws-cloudfront';
import { S3BucketOrigin } from 'aws-cdk-lib/aws-cloudfront-origins';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import { BucketDeployment, Source } from 'aws-cdk-lib/aws-s3-deployment';
import { Construct } from 'constructs';
import { buildDashboard } from '../web/build.js';
import { contentSecurityPolicy, HSTS_SECONDS, PERMISSIONS_POLICY } from '../web/headers.js';

/**
 * The dashboard on AWS: a private S3 bucket read by CloudFront through origin access control, a
 * response headers policy with the same strict headers the local server sends (web/headers.ts), and the
 * page's files built by esbuild at synth. `config.json` (the API URL and sign-in settings) is written at
 * deploy time by `deployConfig`, once the API and the user pool exist.
 */
export class DashboardSite extends Construct {
  readonly bucket: Bucket;
  readonly distribution: Distribution;
  /** `https://<distribution domain>` */
  readonly origin: string;

  private readonly logs: LogGroup;

  constructor(scope: Construct, id: string, props: { connect: string[]; logRetention: RetentionDays }) {
    super(scope, id);
    // The logs of CDK's deployment function, with the same retention as everything else.
    this.logs = new LogGroup(this, 'DeploymentLogs', { retention: props.logRetention });
    this.bucket = new Bucket(this, 'Files', {
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
    });
    const headers = new ResponseHeadersPolicy(this, 'Headers', {
      comment: 'Shared Secret Keys dashboard: strict CSP, HSTS, no referrer, no framing',
      securityHeadersBehavior: {
        contentSecurityPolicy: {
          contentSecurityPolicy: contentSecurityPolicy(props.connect),
          override: true,
        },
        strictTransportSecurity: {
          accessControlMaxAge: Duration.seconds(HSTS_SECONDS),
          includeSubdomains: true,
          override: true,
        },
        referrerPolicy: { referrerPolicy: HeadersReferrerPolicy.NO_REFERRER, override: true },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: HeadersFrameOption.DENY, override: true },
      },
      customHeadersBehavior: {
        customHeaders: [
          { header: 'Permissions-Policy', value: PERMISSIONS_POLICY, override: true },
          { header: 'Cross-Origin-Opener-Policy', value: 'same-origin', override: true },
          { header: 'Cache-Control', value: 'no-cache', override: false },
        ],
      },
    });
    this.distribution = new Distribution(this, 'Distribution', {
      comment: 'Shared Secret Keys dashboard',
      defaultRootObject: 'index.html',
      priceClass: PriceClass.PRICE_CLASS_100,
      minimumProtocolVersion: SecurityPolicyProtocol.TLS_V1_2_2021,
      defaultBehavior: {
        origin: S3BucketOrigin.withOriginAccessControl(this.bucket),
        viewerProtocolPolicy: ViewerProtocolPolicy.REDIRECT_TO_HTTPS,
        responseHeadersPolicy: headers,
      },
    });
    this.origin = `https://${this.distribution.distributionDomainName}`;

    const files = mkdtempSync(join(tmpdir(), 'ssk-dashboard-'));
    for (const file of buildDashboard()) {
      const path = join(files, file.path.slice(1));
      writeFileSync(path, file.body);
    }
    new BucketDeployment(this, 'Page', {
      destinationBucket: this.bucket,
      sources: [Source.asset(files)],
      distribution: this.distribution,
      distributionPaths: ['/*'],
      prune: false,
      memoryLimit: 256,
      logGroup: this.logs,
    });

    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions::AwsSolutions-S1',
      reason:
        'The bucket holds only the public dashboard files; CloudFront is the one reader, through origin access control.',
    });
    for (const [rule, reason] of [
      [
        'AwsSolutions-CFR1',
        'The dashboard is a sign-in page for the platform team; a geo restriction would be the deployer’s choice, not a default.',
      ],
      [
        'AwsSolutions-CFR2',
        'The page is static files behind sign-in; the API it calls has its own throttling. Add WAF in front if your organisation requires it.',
      ],
      [
        'AwsSolutions-CFR3',
        'Access logs of static files would need a logging bucket with ACLs; the API keeps its own access logs.',
      ],
      [
        'AwsSolutions-CFR4',
        'The default CloudFront certificate (*.cloudfront.net) cannot pin a TLS policy; minimumProtocolVersion applies once a custom domain is added.',
      ],
    ] as const) {
      Validations.of(this.distribution).acknowledge({ id: `AwsSolutions::${rule}`, reason });
    }
  }

  /** Writes config.json (the API URL and the sign-in settings) into the bucket at deploy time. */
  deployConfig(config: Record<string, unknown>) {
    const deployment = new BucketDeployment(this, 'Config', {
      destinationBucket: this.bucket,
      sources: [Source.jsonData('config.json', config)],
      distribution: this.distribution,
      distributionPaths: ['/config.json'],
      prune: false,
      memoryLimit: 256,
      logGroup: this.logs,
    });
    acknowledgeDeploymentFunction(Stack.of(this), this.bucket.bucketArn);
    return deployment;
  }
}

/** The BucketDeployment custom resource's own function, one per stack, written by CDK. */
function acknowledgeDeploymentFunction(stack: Stack, bucketArn: string) {
  for (const child of stack.node.children) {
    if (!child.node.id.startsWith('Custom::CDKBucketDeployment')) continue;
    for (const [id, reason] of [
      [
        'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
        'CDK’s BucketDeployment custom resource writes its own logs with the basic execution role.',
      ],
      ['AwsSolutions::AwsSolutions-L1', 'CDK’s BucketDeployment custom resource picks its own runtime.'],
      ...[
        'Action::s3:GetBucket*',
        'Action::s3:GetObject*',
        'Action::s3:List*',
        'Action::s3:Abort*',
        'Action::s3:DeleteObject*',
        'Resource::arn:<AWS::Partition>:s3:::cdk-hnb659fds-assets-<AWS::AccountId>-<AWS::Region>/*',
        `Resource::<${(stack.resolve(bucketArn) as { 'Fn::GetAtt': [string] })['Fn::GetAtt'][0]}.Arn>/*`,
        // cloudfront:CreateInvalidation supports no resource-level permission.
        'Resource::*',
      ].map(
        (appliesTo) =>
          [
            `AwsSolutions::AwsSolutions-IAM5[${appliesTo}]`,
            'CDK’s BucketDeployment copies the dashboard’s files from the CDK asset bucket into this bucket and invalidates the distribution (CreateInvalidation has no resource-level permission).',
          ] as const,
      ),
    ] as const) {
      Validations.of(child).acknowledge({ id, reason });
    }
  }
}
