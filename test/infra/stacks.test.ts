import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../infra/build.js';
import { pascal } from '../../infra/names.js';
import { ROOT } from '../../infra/paths.js';
import { TABLE } from '../../shared/adapters/dynamodb/table.js';
import { cognitoTriggers, internalFunctions, jobs, routes } from '../../shared/routes.js';

/** Every function the stack builds from the route table, Cognito triggers aside. */
const services = [...routes, ...internalFunctions, ...jobs];

// `new App()` does not read cdk.json: hand the tests the same context `cdk synth` gets.
const cdkContext = JSON.parse(readFileSync(join(ROOT, 'cdk.json'), 'utf8')).context as Record<
  string,
  unknown
>;

type Resource = { Type: string; Properties: Record<string, unknown>; DeletionPolicy?: string };
type Statement = {
  Sid?: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
  Effect: string;
};

function synth(context: Record<string, unknown> = {}) {
  // Fast template tests: no bundling, no built-in CloudFormation validator (cdk-nag still runs).
  process.env.CDK_VALIDATION = 'false';
  try {
    const app = new App({ context: { ...cdkContext, 'aws:cdk:bundling-stacks': [], ...context } });
    const stacks = buildApp(app);
    const assembly = app.synth();
    return {
      assembly,
      stateful: Template.fromStack(stacks.stateful),
      stateless: Template.fromStack(stacks.stateless),
    };
  } finally {
    delete process.env.CDK_VALIDATION;
  }
}

/** The envelope key (the stack's other key encrypts the notification topic). */
function dataKey(template: Template): Resource {
  const keys = Object.entries(template.findResources('AWS::KMS::Key') as Record<string, Resource>);
  expect(keys.map(([id]) => id.replace(/[0-9A-F]{8}$/, '')).sort()).toEqual(['DataKey', 'TopicKey']);
  return keys.find(([id]) => id.startsWith('DataKey'))?.[1] as Resource;
}

function actions(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

let app: ReturnType<typeof synth>;
let lambdas: Record<string, Resource>;
let policies: Record<string, Resource>;

const CDK_DEPLOYMENT = 'CustomCDKBucketDeployment';
function withoutCdkDeployment(resources: Record<string, Resource>): Record<string, Resource> {
  return Object.fromEntries(
    Object.entries(resources).filter(
      ([id, resource]) =>
        !id.startsWith(CDK_DEPLOYMENT) && !JSON.stringify(resource.Properties).includes(CDK_DEPLOYMENT),
    ),
  );
}

/** The IAM statements of the function whose handler file is `handler`. */
function statementsOf(handler: string): Statement[] {
  const entry = Object.entries(lambdas).find(([, fn]) =>
    String((fn.Properties.Description as string) ?? '').startsWith(
      [...services, ...cognitoTriggers].find((r) => r.handler === handler)?.summary.slice(0, 40) ?? '\u0000',
    ),
  );
  if (!entry) throw new Error(`no function for ${handler}`);
  const roleRef = JSON.stringify(entry[1].Properties.Role);
  const roleId = /"Fn::GetAtt":\["([^"]+)"/.exec(roleRef)?.[1];
  return Object.values(policies)
    .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(`"${roleId}"`))
    .flatMap((policy) => (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
}

/** Every template test runs with audit anchoring on, so every function of the route table is there. */
const ANCHORING = { auditAnchorRetentionDays: '400' };

beforeAll(() => {
  app = synth(ANCHORING);
  // The service's own functions and policies; CDK's BucketDeployment (the dashboard's files) has its own.
  lambdas = withoutCdkDeployment(
    app.stateless.findResources('AWS::Lambda::Function') as Record<string, Resource>,
  );
  policies = withoutCdkDeployment(
    app.stateless.findResources('AWS::IAM::Policy') as Record<string, Resource>,
  );
});

describe('stateful stack', () => {
  it('the table is on-demand with PITR, deletion protection, TTL, its two indexes, a stream, encryption, and is retained', () => {
    app.stateful.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        GlobalSecondaryIndexes: [
          Match.objectLike({ IndexName: 'gsi1' }),
          Match.objectLike({
            IndexName: 'gsi2',
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE.gsi2.projected] },
          }),
          Match.objectLike({
            IndexName: 'byFingerprint',
            KeySchema: [{ AttributeName: 'fingerprint', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...TABLE.gsi3.projected] },
          }),
        ],
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        SSESpecification: Match.objectLike({ SSEEnabled: true }),
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });

  it('the KMS key rotates, is retained, and its policy never gives the account kms:* or unconditioned use', () => {
    const key = dataKey(app.stateful);
    expect(key.DeletionPolicy).toBe('Retain');
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statements = (key.Properties.KeyPolicy as { Statement: (Statement & { Sid: string })[] }).Statement;
    const forbidden = [
      'kms:*',
      'kms:Create*',
      'kms:CreateGrant',
      'kms:Put*',
      'kms:Encrypt',
      'kms:ReEncrypt*',
    ];
    for (const statement of statements) {
      for (const action of forbidden) expect(actions(statement), statement.Sid).not.toContain(action);
    }
    // Administration by the account: no use of the key, no grants.
    const admin = statements.find((s) => s.Sid === 'KeyAdministrationByTheAccount');
    expect(admin && actions(admin).filter((a) => /Decrypt|GenerateDataKey|CreateGrant/.test(a))).toEqual([]);
    expect(admin && actions(admin)).toContain('kms:PutKeyPolicy');
    expect(statements.some((s) => s.Sid === 'KeyPolicyByTheKeyAdminRole')).toBe(false);
  });

  it('the key policy names, per purpose and operation, exactly the roles the route table allows', () => {
    const key = dataKey(app.stateful);
    const statements = (key.Properties.KeyPolicy as { Statement: (Statement & { Sid: string })[] }).Statement;
    const use = statements.filter((s) =>
      actions(s).some((a) => a === 'kms:Decrypt' || a === 'kms:GenerateDataKey'),
    );
    /** The roles a statement names, by their handler's name at the end of the role ARN. */
    const rolesOf = (sid: string) => {
      const statement = use.find((s) => s.Sid === sid);
      const arns = JSON.stringify(statement?.Condition?.ArnEquals?.['aws:PrincipalArn'] ?? []);
      return [...arns.matchAll(/-([A-Za-z]+)"\]/g)].map((m) => m[1]).sort();
    };
    expect(use.map((s) => s.Sid).sort()).toEqual([
      'DecryptDisplay',
      'DecryptSigning',
      'GenerateDataKeyDisplay',
      'GenerateDataKeySigning',
    ]);
    expect(rolesOf('DecryptDisplay')).toEqual(['RevealKey']);
    expect(rolesOf('DecryptSigning')).toEqual(['SignWebhook', 'SignatureCheck', 'VerifySignature']);
    // The secret-scanning receiver may rotate a leaked key to an auto-generated (viewable once) successor.
    expect(rolesOf('GenerateDataKeyDisplay')).toEqual(['CreateIntegration', 'SecretScanningReport']);
    expect(rolesOf('GenerateDataKeySigning')).toEqual([
      'CreateIntegration',
      'CreateKey',
      'RotateKey',
      'SecretScanningReport',
    ]);
    for (const statement of use) {
      expect(statement.Effect).toBe('Allow');
      expect(statement.Condition).toMatchObject({
        'ForAllValues:StringEquals': {
          'kms:EncryptionContextKeys': ['account', 'integration', 'key', 'purpose'],
        },
        Null: {
          'kms:EncryptionContext:account': 'false',
          'kms:EncryptionContext:integration': 'false',
          'kms:EncryptionContext:key': 'false',
        },
      });
      expect(JSON.stringify(statement.Condition)).not.toContain('PrincipalTag');
    }
    // The names in the key policy are the functions' own role names (one source: infra/names.ts).
    const roles = app.stateless.findResources('AWS::IAM::Role') as Record<string, Resource>;
    const roleNames = Object.values(roles).map((role) => JSON.stringify(role.Properties.RoleName) ?? '');
    for (const handler of ['RevealKey', 'SignWebhook', 'CreateIntegration']) {
      expect(roleNames.some((name) => name.includes(`-${handler}"`))).toBe(true);
    }
  });

  it('with keyAdminRoleArn, only that role may rewrite the key policy', () => {
    const withAdmin = synth({ keyAdminRoleArn: 'arn:aws:iam::123456789012:role/KeyAdmins' });
    const key = dataKey(withAdmin.stateful);
    const statements = (
      key.Properties.KeyPolicy as { Statement: (Statement & { Sid: string; Principal: unknown })[] }
    ).Statement;
    const holders = statements.filter((s) => actions(s).includes('kms:PutKeyPolicy'));
    expect(holders.map((s) => s.Sid)).toEqual(['KeyPolicyByTheKeyAdminRole']);
    expect(holders[0]?.Principal).toEqual({ AWS: 'arn:aws:iam::123456789012:role/KeyAdmins' });
    expect(key.Properties.BypassPolicyLockoutSafetyCheck).toBe(true);
    expect(() => synth({ keyAdminRoleArn: 'KeyAdmins' })).toThrow(/keyAdminRoleArn/);
  });

  it("alertOnForeignDecrypt: a trail and a rule that publish any display decrypt but the reveal role's", () => {
    app.stateful.resourceCountIs('AWS::CloudTrail::Trail', 0);
    app.stateful.resourceCountIs('AWS::Events::Rule', 0);
    const alerting = synth({ alertOnForeignDecrypt: 'true' });
    alerting.stateful.hasResourceProperties('AWS::CloudTrail::Trail', {
      IsLogging: true,
      EnableLogFileValidation: true,
    });
    const rules = Object.values(alerting.stateful.findResources('AWS::Events::Rule')) as Resource[];
    expect(rules).toHaveLength(1);
    const rule = rules[0] as Resource;
    // Read-only management events such as Decrypt reach only a rule in this state.
    expect(rule.Properties.State).toBe('ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS');
    const pattern = rule.Properties.EventPattern as { detail: Record<string, unknown>; source: string[] };
    expect(pattern.source).toEqual(['aws.kms']);
    expect(pattern.detail).toMatchObject({
      eventName: ['Decrypt'],
      requestParameters: { encryptionContext: { purpose: ['display'] } },
    });
    const or = JSON.stringify(pattern.detail.$or);
    expect(or).toContain('anything-but');
    expect(or).toContain('-RevealKey');
    expect(JSON.stringify(rule.Properties.Targets)).toContain('Notifications');
    // EventBridge may use the topic's key, and only from this account.
    const keys = Object.values(alerting.stateful.findResources('AWS::KMS::Key')) as Resource[];
    expect(JSON.stringify(keys.map((k) => k.Properties.KeyPolicy))).toContain('events.amazonaws.com');
  });

  it('the notification topic is encrypted, SSL-only and retained', () => {
    app.stateful.hasResource('AWS::SNS::Topic', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ KmsMasterKeyId: Match.anyValue() }),
    });
    app.stateful.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });
});

describe('dashboard', () => {
  it('its bucket is private: no public access, SSL only, read by the distribution alone through OAC', () => {
    const buckets = app.stateless.findResources('AWS::S3::Bucket') as Record<string, Resource>;
    const [id, bucket] = Object.entries(buckets).find(([name]) => name.startsWith('DashboardFiles')) ?? [];
    expect(bucket?.Properties.PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    const policy = Object.values(app.stateless.findResources('AWS::S3::BucketPolicy')).find((p) =>
      JSON.stringify((p as Resource).Properties.Bucket).includes(id ?? '-'),
    ) as Resource;
    const statements = (
      policy.Properties.PolicyDocument as { Statement: (Statement & { Principal?: unknown })[] }
    ).Statement;
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    expect(allows).toHaveLength(1);
    expect(allows[0]?.Principal).toEqual({ Service: 'cloudfront.amazonaws.com' });
    expect(actions(allows[0] as Statement)).toEqual(['s3:GetObject']);
    expect(JSON.stringify(allows[0]?.Condition)).toContain('DashboardDistribution');
    expect(
      statements.some(
        (statement) =>
          statement.Effect === 'Deny' && JSON.stringify(statement.Condition).includes('aws:SecureTransport'),
      ),
    ).toBe(true);
    const [distribution] = Object.values(
      app.stateless.findResources('AWS::CloudFront::Distribution'),
    ) as Resource[];
    const settings = distribution?.Properties.DistributionConfig as Record<string, unknown> & {
      Origins: { OriginAccessControlId?: unknown; S3OriginConfig?: { OriginAccessIdentity?: string } }[];
      DefaultCacheBehavior: Record<string, unknown>;
    };
    expect(settings.Origins[0]?.OriginAccessControlId).toBeDefined();
    expect(settings.Origins[0]?.S3OriginConfig?.OriginAccessIdentity).toBe('');
    expect(settings.DefaultRootObject).toBe('index.html');
    expect(settings.DefaultCacheBehavior.ViewerProtocolPolicy).toBe('redirect-to-https');
    expect(settings.DefaultCacheBehavior.ResponseHeadersPolicyId).toBeDefined();
  });

  it("the response headers: a strict CSP that reaches only this region's APIs and the login, HSTS, no referrer, no framing", () => {
    const [policy] = Object.values(
      app.stateless.findResources('AWS::CloudFront::ResponseHeadersPolicy'),
    ) as Resource[];
    const config = policy?.Properties.ResponseHeadersPolicyConfig as {
      SecurityHeadersConfig: Record<string, Record<string, unknown>>;
    };
    const headers = config.SecurityHeadersConfig;
    const csp = JSON.stringify(headers.ContentSecurityPolicy?.ContentSecurityPolicy);
    for (const directive of [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "frame-ancestors 'none'",
      "object-src 'none'",
    ]) {
      expect(csp).toContain(directive);
    }
    expect(csp).not.toContain('unsafe');
    expect(csp).toContain('.execute-api.');
    expect(csp).toContain('.amazoncognito.com');
    expect(headers.StrictTransportSecurity).toMatchObject({
      AccessControlMaxAgeSec: 63_072_000,
      IncludeSubdomains: true,
      Override: true,
    });
    expect(headers.ReferrerPolicy).toMatchObject({ ReferrerPolicy: 'no-referrer' });
    expect(headers.FrameOptions).toMatchObject({ FrameOption: 'DENY' });
  });

  it('config.json is written at deploy time with the API URL and the sign-in settings; CORS allows the dashboard', () => {
    const deployments = Object.values(
      app.stateless.findResources('Custom::CDKBucketDeployment'),
    ) as Resource[];
    expect(deployments).toHaveLength(2);
    const markers = JSON.stringify(deployments.map((d) => d.Properties.SourceMarkers));
    expect(markers).toContain('ApiF70053CD');
    expect(markers).toContain('UsersDashboard');
    app.stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: [
          {
            'Fn::Join': [
              '',
              [
                'https://',
                { 'Fn::GetAtt': [Match.stringLikeRegexp('^DashboardDistribution'), 'DomainName'] },
              ],
            ],
          },
        ],
      }),
    });
    expect(Object.keys(app.stateless.findOutputs('DashboardUrl'))).toEqual(['DashboardUrl']);
  });
});

describe('jobs', () => {
  it('the reminder runs daily at the configured hour and time zone, with retries and a dead-letter queue', () => {
    const schedules = Object.values(app.stateless.findResources('AWS::Scheduler::Schedule')) as Resource[];
    expect(schedules).toHaveLength(2);
    const reminder = schedules.find((schedule) =>
      JSON.stringify(schedule.Properties.Target).includes('RemindRotationFunction'),
    );
    expect(reminder?.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 9 * * ? *)',
      ScheduleExpressionTimezone: 'UTC',
      State: 'ENABLED',
      Target: {
        Arn: { 'Fn::GetAtt': [expect.stringMatching(/^RemindRotationFunction/), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2 },
        DeadLetterConfig: { Arn: expect.anything() },
      },
    });
    const other = synth({ ...ANCHORING, reminderHour: '6', reminderTimeZone: 'Europe/Berlin' });
    other.stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(0 6 * * ? *)',
      ScheduleExpressionTimezone: 'Europe/Berlin',
    });
  });

  it('the stream consumer reads only audited items, answers per record, and keeps what fails in a queue', () => {
    const mappings = Object.values(
      app.stateless.findResources('AWS::Lambda::EventSourceMapping'),
    ) as Resource[];
    expect(mappings).toHaveLength(1);
    const mapping = mappings[0]?.Properties ?? {};
    expect(mapping).toMatchObject({
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: expect.anything() } },
      ParallelizationFactor: 1,
    });
    expect(JSON.stringify(mapping.EventSourceArn)).toContain('StreamArn');
    const pattern = JSON.parse(
      (mapping.FilterCriteria as { Filters: { Pattern: string }[] }).Filters[0]?.Pattern ?? '{}',
    );
    expect(pattern.dynamodb.NewImage.type.S.sort()).toEqual(['integration', 'key', 'settings']);
  });

  it('the jobs publish to the topic and the default bus only, and cannot decrypt anything', () => {
    const remind = statementsOf('remind-rotation');
    const publish = statementsOf('publish-lifecycle');
    const of = (statements: Statement[], prefix: string) =>
      statements.filter((s) => actions(s).some((a) => a.startsWith(prefix)));
    expect(of(remind, 'sns:').map((s) => [actions(s), JSON.stringify(s.Resource)])).toEqual([
      [['sns:Publish'], expect.stringContaining('Notifications')],
    ]);
    expect(of(publish, 'sns:')).toEqual([]);
    for (const statements of [remind, publish]) {
      const events = of(statements, 'events:');
      expect(events.flatMap(actions)).toEqual(['events:PutEvents']);
      expect(JSON.stringify(events[0]?.Resource)).toContain(':event-bus/default');
    }
    // The topic's key, used by SNS on the publisher's behalf and only through SNS; never the data key.
    const kms = of(remind, 'kms:');
    expect(kms).toHaveLength(1);
    expect(JSON.stringify(kms[0]?.Resource)).toContain('TopicKey');
    expect(kms[0]?.Condition?.StringEquals?.['kms:ViaService']).toBeDefined();
    expect(of(publish, 'kms:')).toEqual([]);
    const policy = JSON.stringify(dataKey(app.stateful).Properties.KeyPolicy);
    for (const job of jobs) expect(policy).not.toContain(pascal(job.handler));
  });
});

describe('audit anchors', () => {
  it('opt-in: an Object Lock bucket in compliance mode with the retention asked for, versioned, private, retained', () => {
    app.stateful.hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        ObjectLockEnabled: true,
        ObjectLockConfiguration: {
          ObjectLockEnabled: 'Enabled',
          Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 400 } },
        },
        VersioningConfiguration: { Status: 'Enabled' },
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    });
    // Off by default: no bucket, no anchor job, no schedule for it, and verification reads no bucket.
    const off = synth();
    expect(Object.keys(off.stateful.findResources('AWS::S3::Bucket'))).toEqual([]);
    const offFunctions = Object.keys(off.stateless.findResources('AWS::Lambda::Function'));
    expect(offFunctions.filter((id) => id.startsWith('AnchorAudit'))).toEqual([]);
    expect(JSON.stringify(off.stateless.toJSON())).not.toMatch(/ANCHOR_BUCKET|AuditAnchors|Anchors"/);
    expect(() => synth({ auditAnchorRetentionDays: '0' })).toThrow(/auditAnchorRetentionDays/);
  });

  it('the anchor job runs daily after the reminder; it may put and read anchors, verification only read them', () => {
    app.stateless.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 9 * * ? *)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^AnchorAuditFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2 },
      }),
    });
    const s3 = (handler: string) =>
      statementsOf(handler)
        .filter((s) => actions(s).some((a) => a.startsWith('s3:')))
        .map((s) => [actions(s), JSON.stringify(s.Resource)]);
    const bucket = expect.stringContaining('AuditAnchors');
    const objects = expect.stringMatching(/AuditAnchors.*\/anchors\/\*/);
    expect(s3('anchor-audit')).toEqual([
      [['s3:ListBucket'], bucket],
      [['s3:GetObject', 's3:PutObject'], objects],
    ]);
    expect(s3('verify-audit')).toEqual([
      [['s3:ListBucket'], bucket],
      [['s3:GetObject'], objects],
    ]);
    for (const spec of services.filter((spec) => !spec.access.auditAnchors)) {
      expect(s3(spec.handler), spec.handler).toEqual([]);
    }
    for (const handler of ['anchor-audit', 'verify-audit']) {
      const fn = Object.values(lambdas).find((l) =>
        String(l.Properties.Description).startsWith(
          services.find((spec) => spec.handler === handler)?.summary.slice(0, 40) ?? '-',
        ),
      );
      expect(JSON.stringify(fn?.Properties.Environment), handler).toContain('ANCHOR_BUCKET');
    }
  });
});

describe('functions', () => {
  it('one function per route, internal operation and Cognito trigger, all Node.js 24 on arm64 with tracing and JSON logs', () => {
    expect(Object.keys(lambdas)).toHaveLength(
      routes.length + internalFunctions.length + jobs.length + cognitoTriggers.length,
    );
    for (const fn of Object.values(lambdas)) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: expect.objectContaining({ LogFormat: 'JSON', LogGroup: expect.anything() }),
      });
    }
  });

  it('functions that call KMS on every request, and the public route, have reserved concurrency; the verify path does not', () => {
    const reserved = (handler: string) => {
      const spec = services.find((r) => r.handler === handler);
      const fn = Object.values(lambdas).find((l) =>
        String(l.Properties.Description).startsWith(spec?.summary.slice(0, 40) ?? '-'),
      );
      return fn?.Properties.ReservedConcurrentExecutions;
    };
    for (const handler of ['create-integration', 'create-key', 'rotate-key', 'reveal-key'])
      expect(reserved(handler), handler).toBe(25);
    expect(reserved('signature-check')).toBe(10);
    for (const handler of ['verify-signature', 'sign-webhook', 'list-keys'])
      expect(reserved(handler), handler).toBeUndefined();
  });

  it('route-level limits sit below the stage-wide one, the public route among them', () => {
    const stage = Object.values(app.stateless.findResources('AWS::ApiGatewayV2::Stage'))[0] as Resource;
    const settings = stage.Properties.RouteSettings as Record<string, { ThrottlingRateLimit: number }>;
    expect(settings['POST /v1/signature-check']).toEqual({
      ThrottlingRateLimit: 20,
      ThrottlingBurstLimit: 40,
    });
    for (const route of routes.filter((r) => r.throttle)) {
      expect(settings[`${route.method} ${route.path}`]?.ThrottlingRateLimit).toBeLessThan(50);
    }
  });

  it('source maps are on at run time everywhere but the verification hot path, as the route table says', () => {
    for (const spec of services) {
      const fn = Object.values(lambdas).find((l) =>
        String(l.Properties.Description).startsWith(spec.summary.slice(0, 40)),
      );
      const env =
        (fn?.Properties.Environment as { Variables?: Record<string, string> } | undefined)?.Variables ?? {};
      expect(env.NODE_OPTIONS, spec.handler).toBe(
        spec.sourceMapsAtRuntime === false ? undefined : '--enable-source-maps',
      );
    }
    expect(
      services
        .filter((spec) => spec.sourceMapsAtRuntime === false)
        .map((spec) => spec.handler)
        .sort(),
    ).toEqual(['sign-webhook', 'signature-check', 'verify-signature']);
  });

  it('every log group has a retention', () => {
    const groups = app.stateless.findResources('AWS::Logs::LogGroup') as Record<string, Resource>;
    // One a function, the API's access log, and the one of CDK's BucketDeployment function.
    expect(Object.keys(groups).length).toBe(
      routes.length + internalFunctions.length + jobs.length + cognitoTriggers.length + 2,
    );
    for (const group of Object.values(groups)) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('each role allows exactly the DynamoDB actions of its route, on the table (and index) ARN only', () => {
    for (const spec of services) {
      const all = statementsOf(spec.handler).filter((s) => actions(s).some((a) => a.startsWith('dynamodb:')));
      // The stream consumer's event source adds the stream's read actions, on the stream's ARN alone.
      const stream = all.filter((s) => JSON.stringify(s.Resource).includes('StreamArn'));
      expect(stream.flatMap(actions).sort(), spec.handler).toEqual(
        spec.access.dynamodbStream
          ? [
              'dynamodb:DescribeStream',
              'dynamodb:GetRecords',
              'dynamodb:GetShardIterator',
              'dynamodb:ListStreams',
            ]
          : [],
      );
      const dynamo = all.filter((s) => !stream.includes(s));
      const granted = dynamo.flatMap(actions).sort();
      expect(granted, spec.handler).toEqual([...spec.access.dynamodb].sort());
      for (const statement of dynamo) {
        const resources = JSON.stringify(statement.Resource);
        expect(resources).not.toBe('"*"');
        expect(resources).toContain('Table');
        expect(resources.match(/\/index\/\w+/g) ?? [], spec.handler).toEqual(
          spec.access.dynamodbIndex ? [`/index/${spec.access.dynamodbIndex}`] : [],
        );
      }
    }
  });

  it('KMS: only reveal decrypts display; only verify and sign paths decrypt signing; list and audit have none', () => {
    const kmsOf = (handler: string) =>
      statementsOf(handler).filter((s) => actions(s).some((a) => a.startsWith('kms:')));
    const purposes = (handler: string, action: string) =>
      kmsOf(handler)
        .filter((s) => actions(s).includes(action))
        .flatMap((s) => [s.Condition?.StringEquals?.['kms:EncryptionContext:purpose']].flat());

    const decryptDisplay = services
      .map((r) => r.handler)
      .filter((h) => purposes(h, 'kms:Decrypt').includes('display'));
    expect(decryptDisplay).toEqual(['reveal-key']);
    const decryptSigning = services
      .map((r) => r.handler)
      .filter((h) => purposes(h, 'kms:Decrypt').includes('signing'))
      .sort();
    expect(decryptSigning).toEqual(['sign-webhook', 'signature-check', 'verify-signature']);
    expect(purposes('create-integration', 'kms:GenerateDataKey').sort()).toEqual(['display', 'signing']);
    expect(purposes('create-key', 'kms:GenerateDataKey')).toEqual(['signing']);
    for (const handler of [
      'list-integrations',
      'get-integration',
      'list-keys',
      'list-audit',
      'revoke-key',
      'health',
      'openapi',
    ]) {
      expect(kmsOf(handler), handler).toEqual([]);
    }
  });

  it('every KMS statement names the key, pins the context keys and conditions the purpose', () => {
    for (const spec of services) {
      for (const statement of statementsOf(spec.handler).filter(
        (s) => actions(s).some((a) => a.startsWith('kms:')) && s.Sid !== 'EncryptNotificationsThroughSns',
      )) {
        expect(statement.Resource).not.toBe('*');
        expect(JSON.stringify(statement.Resource)).toContain('DataKey');
        expect(statement.Condition?.['ForAllValues:StringEquals']).toEqual({
          'kms:EncryptionContextKeys': ['account', 'integration', 'key', 'purpose'],
        });
        expect(statement.Condition?.StringEquals?.['kms:EncryptionContext:purpose']).toBeDefined();
      }
    }
  });

  it('each role holds exactly the statements its route-table entry implies, each with its exact actions and resources', () => {
    const json = (value: unknown) => JSON.stringify(value);
    const isTable = (value: unknown) =>
      /^\{"Fn::ImportValue":"SharedSecretKeys-Data:ExportsOutputFnGetAttTable\w+Arn\w+"\}$/.test(json(value));
    for (const spec of services) {
      const statements = statementsOf(spec.handler);
      const bySid = (sid: string) => statements.filter((statement) => statement.Sid === sid);
      const { access } = spec;
      // Logs: its own log group, two actions.
      expect(
        bySid('WriteOwnLogs').map((st) => [actions(st).sort(), json(st.Resource).includes('Logs')]),
        spec.handler,
      ).toEqual([[['logs:CreateLogStream', 'logs:PutLogEvents'], true]]);
      // DynamoDB: the route table's actions, as listed, on the table (and the one index it queries).
      const table = bySid('TableAccess');
      if (access.dynamodb.length === 0) expect(table, spec.handler).toEqual([]);
      else {
        expect(table, spec.handler).toHaveLength(1);
        expect(actions(table[0] as Statement).sort(), spec.handler).toEqual([...access.dynamodb].sort());
        const resources = [(table[0] as Statement).Resource].flat();
        expect(resources.length, spec.handler).toBe(access.dynamodbIndex ? 2 : 1);
        expect(isTable(resources[0]), spec.handler).toBe(true);
        if (access.dynamodbIndex) expect(json(resources[1])).toContain(`/index/${access.dynamodbIndex}`);
      }
      // KMS: one action a statement, on the data key alone.
      for (const [sid, action, purposes] of [
        ['GenerateDataKeys', 'kms:GenerateDataKey', access.kmsGenerate],
        ['DecryptDataKeys', 'kms:Decrypt', access.kmsDecrypt],
      ] as const) {
        const found = bySid(sid);
        expect(found.length, `${spec.handler} ${sid}`).toBe(purposes?.length ? 1 : 0);
        for (const statement of found) {
          expect(statement.Action).toBe(action);
          expect(json(statement.Resource)).toMatch(
            /^\{"Fn::ImportValue":"SharedSecretKeys-Data:ExportsOutputFnGetAttDataKey\w+Arn\w+"\}$/,
          );
        }
      }
      expect(bySid('PublishNotifications').length, spec.handler).toBe(access.snsPublish ? 1 : 0);
      expect(bySid('EncryptNotificationsThroughSns').length, spec.handler).toBe(access.snsPublish ? 1 : 0);
      expect(bySid('PutLifecycleEvents').length, spec.handler).toBe(access.eventsPut ? 1 : 0);
      // The anchor bucket: listing it, and its objects under anchors/ (read, or read and put for the job).
      expect(bySid('ListAnchors').length, spec.handler).toBe(access.auditAnchors ? 1 : 0);
      expect(bySid('ReadAnchors').length, spec.handler).toBe(access.auditAnchors === 'read' ? 1 : 0);
      expect(bySid('ReadWriteAnchors').length, spec.handler).toBe(access.auditAnchors === 'write' ? 1 : 0);
      // Nothing else: X-Ray, and for the stream consumer its event source's stream and queue rights.
      const known = [
        'WriteOwnLogs',
        'TableAccess',
        'GenerateDataKeys',
        'DecryptDataKeys',
        'PublishNotifications',
        'EncryptNotificationsThroughSns',
        'PutLifecycleEvents',
        'ListAnchors',
        'ReadAnchors',
        'ReadWriteAnchors',
      ];
      const others = statements.filter((statement) => !known.includes(statement.Sid ?? ''));
      for (const statement of others) {
        const list = actions(statement).sort();
        const xray = json(list) === json(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        const stream =
          Boolean(access.dynamodbStream) &&
          list.every((a) => a.startsWith('dynamodb:')) &&
          json(statement.Resource).includes('StreamArn');
        const queue =
          Boolean(access.dynamodbStream) &&
          list.every((a) => a.startsWith('sqs:')) &&
          json(statement.Resource).includes('LifecycleEventFailures');
        expect(xray || stream || queue, `${spec.handler}: ${json(statement)}`).toBe(true);
      }
    }
  });

  it('the only wildcards anywhere are X-Ray tracing, the scheduler invoking the jobs, and the anchors/ prefix', () => {
    // cdk-nag's IAM5 acknowledgement for X-Ray covers any Resource::* on a role: this keeps it honest.
    for (const policy of Object.values(policies)) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        const resources = [statement.Resource].flat();
        if (!resources.some((resource) => JSON.stringify(resource).includes('*'))) continue;
        if (actions(statement).includes('lambda:InvokeFunction')) {
          // LambdaInvoke grants the function and its versions (`<arn>:*`): the scheduled jobs only.
          expect(actions(statement)).toEqual(['lambda:InvokeFunction']);
          expect(JSON.stringify(resources)).toMatch(
            /^\[\{"Fn::GetAtt":\["(RemindRotation|AnchorAudit)Function\w+","Arn"\]\},\{"Fn::Join":\["",\[\{"Fn::GetAtt":\["\1Function\w+","Arn"\]\},":\*"\]\]\}\]$/,
          );
          continue;
        }
        if (actions(statement).every((action) => action.startsWith('s3:'))) {
          // The anchor objects, by the bucket's exported ARN: nothing outside anchors/.
          expect(JSON.stringify(resources)).toBe(
            JSON.stringify([
              {
                'Fn::Join': [
                  '',
                  [{ 'Fn::ImportValue': 'SharedSecretKeys-Data-AuditAnchorsArn' }, '/anchors/*'],
                ],
              },
            ]),
          );
          continue;
        }
        expect(actions(statement).sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
        expect(resources).toEqual(['*']);
      }
    }
  });

  it('no statement anywhere allows a KMS or DynamoDB action on *', () => {
    for (const policy of Object.values(policies)) {
      for (const statement of (policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement) {
        if (actions(statement).some((a) => a.startsWith('kms:') || a.startsWith('dynamodb:'))) {
          expect(statement.Resource).not.toBe('*');
        }
      }
    }
  });
});

describe('HTTP API', () => {
  it('wires every route to its own function, behind the JWT authorizer unless public', () => {
    const apiRoutes = app.stateless.findResources('AWS::ApiGatewayV2::Route') as Record<string, Resource>;
    const integrations = app.stateless.findResources('AWS::ApiGatewayV2::Integration') as Record<
      string,
      Resource
    >;
    // One route each, plus HEAD for the routes that answer it (GET /health).
    expect(Object.keys(apiRoutes)).toHaveLength(routes.length + routes.filter((r) => r.head).length);
    const head = Object.values(apiRoutes).find((r) => r.Properties.RouteKey === 'HEAD /health');
    expect(head?.Properties.AuthorizationType).toBe('NONE');
    for (const route of routes) {
      const found = Object.values(apiRoutes).find(
        (r) => r.Properties.RouteKey === `${route.method} ${route.path}`,
      );
      expect(found, `${route.method} ${route.path}`).toBeDefined();
      expect(found?.Properties.AuthorizationType).toBe(route.public ? 'NONE' : 'JWT');
      const integrationId = /"Ref":"([^"]+)"/.exec(JSON.stringify(found?.Properties.Target))?.[1] ?? '';
      const target = JSON.stringify(integrations[integrationId]?.Properties.IntegrationUri);
      const fnName = route.handler.replace(/(^|-)(\w)/g, (_, __, c: string) => c.toUpperCase());
      expect(target, route.handler).toContain(`${fnName}Function`);
    }
  });

  it('has a throttled $default stage with access logs, and a JWT authorizer on the stack’s user pool', () => {
    app.stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: Match.objectLike({ DestinationArn: Match.anyValue() }),
    });
    app.stateless.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      AuthorizerType: 'JWT',
      JwtConfiguration: Match.objectLike({ Issuer: Match.anyValue() }),
    });
  });

  it('the user pool runs the pre-token-generation trigger, which has no data access at all', () => {
    app.stateless.hasResourceProperties('AWS::Cognito::UserPool', {
      LambdaConfig: { PreTokenGeneration: Match.anyValue() },
    });
    const statements = statementsOf('pre-token-generation');
    expect(
      statements.flatMap(actions).filter((a) => !a.startsWith('logs:') && !a.startsWith('xray:')),
    ).toEqual([]);
  });

  it('users sign in with SRP and a TOTP second factor, never the implicit flow', () => {
    app.stateless.hasResourceProperties('AWS::Cognito::UserPool', {
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
    });
    const clients = Object.values(app.stateless.findResources('AWS::Cognito::UserPoolClient')) as Resource[];
    expect(clients).toHaveLength(1);
    for (const client of clients) {
      expect([...((client.Properties.ExplicitAuthFlows as string[]) ?? [])].sort()).toEqual([
        'ALLOW_REFRESH_TOKEN_AUTH',
        'ALLOW_USER_SRP_AUTH',
      ]);
      expect(client.Properties.AllowedOAuthFlows ?? []).not.toContain('implicit');
    }
  });

  it('the dashboard signs in through the managed login: code flow with PKCE, a public client, back to its own origin', () => {
    const [client] = Object.values(app.stateless.findResources('AWS::Cognito::UserPoolClient')) as Resource[];
    expect(client?.Properties).toMatchObject({
      AllowedOAuthFlows: ['code'],
      AllowedOAuthFlowsUserPoolClient: true,
      AllowedOAuthScopes: ['openid', 'email', 'profile'],
      GenerateSecret: false,
      SupportedIdentityProviders: ['COGNITO'],
    });
    const callbacks = JSON.stringify(client?.Properties.CallbackURLs);
    expect(callbacks).toContain('DashboardDistribution');
    expect(callbacks).toContain('DomainName');
    app.stateless.hasResourceProperties('AWS::Cognito::UserPoolDomain', {
      Domain: Match.anyValue(),
      ManagedLoginVersion: 2,
    });
    app.stateless.resourceCountIs('AWS::Cognito::ManagedLoginBranding', 1);
  });

  it('users cannot write their own account or roles', () => {
    const clients = app.stateless.findResources('AWS::Cognito::UserPoolClient') as Record<string, Resource>;
    for (const client of Object.values(clients)) {
      // Left out, WriteAttributes would mean every writable attribute: it must be there, and narrow.
      expect(Array.isArray(client.Properties.WriteAttributes)).toBe(true);
      expect(JSON.stringify(client.Properties.WriteAttributes)).not.toContain('custom:');
    }
  });

  it('with an external OIDC issuer there is no user pool, and CORS follows allowedOrigins', () => {
    const external = synth({
      ...ANCHORING,
      oidcIssuer: 'https://login.example.com/',
      oidcAudience: 'dashboard',
      allowedOrigins: 'https://dashboard.example.com',
    });
    external.stateless.resourceCountIs('AWS::Cognito::UserPool', 0);
    // Ours, and CDK's BucketDeployment function for the dashboard's files.
    external.stateless.resourceCountIs('AWS::Lambda::Function', services.length + 1);
    external.stateless.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
      JwtConfiguration: { Issuer: 'https://login.example.com/', Audience: ['dashboard'] },
    });
    external.stateless.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({ AllowOrigins: ['https://dashboard.example.com'] }),
    });
  });

  it('exports the API URL, user pool and client ids, table name, key ARN and the internal function names', () => {
    for (const name of [
      'ApiUrl',
      'UserPoolId',
      'UserPoolClientId',
      'VerifySignatureFunctionName',
      'SignWebhookFunctionName',
    ]) {
      app.stateless.hasOutput(name, Match.anyValue());
    }
    for (const name of ['TableName', 'KeyArn', 'TopicArn']) app.stateful.hasOutput(name, Match.anyValue());
  });
});

describe('cdk-nag (AwsSolutions)', () => {
  it('reports no unacknowledged finding, and every acknowledgement has a reason', () => {
    const report = JSON.parse(
      readFileSync(join(app.assembly.directory, 'validation-report.json'), 'utf8'),
    ) as {
      pluginReports: {
        pluginName: string;
        conclusion: string;
        violations: unknown[];
        suppressedViolations: { reason: string }[];
      }[];
    };
    const nag = report.pluginReports.find((p) => p.pluginName === 'AwsSolutions');
    expect(nag?.conclusion).toBe('success');
    expect(nag?.violations).toEqual([]);
    for (const suppressed of nag?.suppressedViolations ?? [])
      expect(suppressed.reason.length).toBeGreaterThan(30);
  });

  it('would fail synthesis on a finding (the check is live)', () => {
    const probe = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new Topic(new Stack(probe, 'Probe'), 'Plain');
    Validations.of(probe).addPlugins(new AwsSolutionsChecks(probe));
    process.env.CDK_VALIDATION = 'false';
    try {
      expect(() => probe.synth()).toThrow(/[Vv]alidation/);
    } finally {
      delete process.env.CDK_VALIDATION;
    }
  });
});

describe('full synth', () => {
  it('bundles every function with the local esbuild and passes the built-in validator', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'ssk-synth-'));
    const full = new App({ context: cdkContext, outdir });
    buildApp(full);
    const assembly = full.synth();
    const assets = readdirSync(assembly.directory).filter((name) => name.startsWith('asset.'));
    const bundles = assets.filter((asset) => existsSync(join(assembly.directory, asset, 'index.mjs')));
    // cdk.json leaves audit anchoring off: its job is not deployed.
    expect(bundles.length).toBe(
      routes.length + internalFunctions.length + jobs.length - 1 + cognitoTriggers.length,
    );
    // The dashboard's files, built by esbuild at synth.
    const page = assets.find((asset) => existsSync(join(assembly.directory, asset, 'app.js')));
    expect(page && readdirSync(join(assembly.directory, page)).sort()).toEqual([
      'app.css',
      'app.js',
      'index.html',
    ]);
    rmSync(outdir, { recursive: true, force: true });
  }, 120_000);
});
