import { CfnOutput, Duration, Fn, Stack, type StackProps, TimeZone, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  CorsHttpMethod,
  HttpApi,
  type HttpMethod,
  HttpNoneAuthorizer,
  HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  AccountRecovery,
  CfnManagedLoginBranding,
  ClientAttributes,
  FeaturePlan,
  ManagedLoginVersion,
  Mfa,
  OAuthScope,
  StandardThreatProtectionMode,
  StringAttribute,
  UserPool,
  UserPoolClientIdentityProvider,
  UserPoolOperation,
} from 'aws-cdk-lib/aws-cognito';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { FilterCriteria, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import {
  type CronOptionsWithTimezone as CronOptions,
  Schedule,
  ScheduleExpression,
  ScheduleTargetInput,
} from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { LIFECYCLE_FILTER } from '../shared/adapters/dynamodb/stream.js';
import { cognitoTriggers, type FunctionSpec, internalFunctions, jobs, routes } from '../shared/routes.js';
import type { DeployConfig } from './config.js';
import { DashboardSite } from './dashboard.js';
import { ServiceFunction } from './function.js';
import { pascal } from './names.js';

export interface StatelessStackProps extends StackProps {
  table: ITableV2;
  key: IKey;
  topic: ITopic;
  /** The export naming the audit anchors' Object Lock bucket ARN, when anchoring is on. */
  anchorBucketExport?: string;
  config: DeployConfig;
}

/** The HTTP API, one function per route, the internal verify/sign functions, and the authorizer. */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly functions = new Map<string, ServiceFunction>();

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = retention(config.logRetentionDays);
    const anchorBucket = props.anchorBucketExport
      ? Bucket.fromBucketArn(this, 'AuditAnchors', Fn.importValue(props.anchorBucketExport))
      : undefined;

    const reserve = {
      'kms-per-request': config.kmsFunctionConcurrency,
      public: config.publicRouteConcurrency,
    };
    const make = (spec: FunctionSpec, environment: Record<string, string> = {}) => {
      const { handler, summary: description, access } = spec;
      const fn = new ServiceFunction(this, pascal(handler), {
        handler,
        description,
        access,
        table: props.table,
        key: props.key,
        topic: props.topic,
        anchorBucket,
        logRetention,
        reservedConcurrency: spec.concurrency ? reserve[spec.concurrency] || undefined : undefined,
        memoryMb: spec.memoryMb,
        timeoutSeconds: spec.timeoutSeconds,
        sourceMapsAtRuntime: spec.sourceMapsAtRuntime,
        environment: { ROTATION_PERIOD_DAYS: String(config.rotationPeriodDays), ...environment },
      });
      this.functions.set(handler, fn);
      return fn;
    };

    // The dashboard's files and distribution first: CORS, the sign-in callback and the reminder's
    // links name its origin. Its CSP may call any HTTP API of this region (naming this one would make
    // the distribution depend on the API, which depends on the distribution's origin for CORS).
    const loginDomain = config.oidcIssuer
      ? undefined
      : `https://${config.authDomainPrefix ?? `shared-secret-keys-${this.account}`}.auth.${this.region}.amazoncognito.com`;
    const site = new DashboardSite(this, 'Dashboard', {
      logRetention,
      connect: [`https://*.execute-api.${this.region}.amazonaws.com`, ...(loginDomain ? [loginDomain] : [])],
    });
    let dashboardAuth: Record<string, unknown> = { mode: 'external' };

    // Identity: the stack's own Cognito user pool, or an external OIDC issuer given as context.
    let issuer: string;
    let audience: string[];
    if (config.oidcIssuer) {
      issuer = config.oidcIssuer;
      audience = config.oidcAudience;
    } else {
      const pool = new UserPool(this, 'Users', {
        selfSignUpEnabled: false,
        signInAliases: { email: true },
        // Every user signs in with a TOTP second factor: a dashboard password alone can create keys.
        mfa: Mfa.REQUIRED,
        mfaSecondFactor: { otp: true, sms: false },
        passwordPolicy: {
          minLength: 12,
          requireDigits: true,
          requireLowercase: true,
          requireUppercase: true,
          requireSymbols: true,
          tempPasswordValidity: Duration.days(3),
        },
        accountRecovery: AccountRecovery.EMAIL_ONLY,
        featurePlan: FeaturePlan.PLUS,
        standardThreatProtectionMode: StandardThreatProtectionMode.FULL_FUNCTION,
        customAttributes: {
          account_id: new StringAttribute({ minLen: 1, maxLen: 128, mutable: false }),
          roles: new StringAttribute({ minLen: 1, maxLen: 64, mutable: true }),
        },
      });
      for (const trigger of cognitoTriggers) {
        const fn = make(trigger);
        pool.addTrigger(UserPoolOperation.PRE_TOKEN_GENERATION, fn.fn);
      }
      const client = pool.addClient('Dashboard', {
        // SRP only: the password never travels, not even to Cognito. The dashboard signs in through the
        // managed login with the authorization code flow and PKCE (a public client, no secret); no
        // implicit (token-in-URL) flow.
        authFlows: { userSrp: true },
        generateSecret: false,
        oAuth: {
          flows: { authorizationCodeGrant: true },
          scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
          callbackUrls: [`${site.origin}/`],
          logoutUrls: [`${site.origin}/`],
        },
        supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
        preventUserExistenceErrors: true,
        idTokenValidity: Duration.hours(1),
        accessTokenValidity: Duration.hours(1),
        refreshTokenValidity: Duration.days(1),
        // Users must never be able to set their own account or roles: only administrators write those.
        readAttributes: new ClientAttributes()
          .withStandardAttributes({ email: true })
          .withCustomAttributes('account_id', 'roles'),
        writeAttributes: new ClientAttributes().withStandardAttributes({ email: false }),
      });
      const prefix = config.authDomainPrefix ?? `shared-secret-keys-${this.account}`;
      pool.addDomain('Login', {
        cognitoDomain: { domainPrefix: prefix },
        managedLoginVersion: ManagedLoginVersion.NEWER_MANAGED_LOGIN,
      });
      new CfnManagedLoginBranding(this, 'LoginBranding', {
        userPoolId: pool.userPoolId,
        clientId: client.userPoolClientId,
        useCognitoProvidedValues: true,
      });
      dashboardAuth = {
        mode: 'cognito',
        domain: loginDomain,
        clientId: client.userPoolClientId,
        redirectUri: `${site.origin}/`,
        scopes: ['openid', 'email', 'profile'],
      };
      issuer = `https://cognito-idp.${this.region}.amazonaws.com/${pool.userPoolId}`;
      audience = [client.userPoolClientId];
      new CfnOutput(this, 'UserPoolId', { value: pool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    }
    const authorizer = new HttpJwtAuthorizer('Jwt', issuer, {
      jwtAudience: audience,
      identitySource: ['$request.header.Authorization'],
    });

    this.api = new HttpApi(this, 'Api', {
      apiName: 'shared-secret-keys',
      description: 'Shared Secret Keys dashboard API',
      createDefaultStage: false,
      corsPreflight: {
        // The dashboard's own origin unless the deploy names others.
        allowOrigins: config.allowedOrigins.length ? config.allowedOrigins : [site.origin],
        allowMethods: [
          CorsHttpMethod.GET,
          CorsHttpMethod.POST,
          CorsHttpMethod.PUT,
          CorsHttpMethod.PATCH,
          CorsHttpMethod.DELETE,
        ],
        allowHeaders: ['authorization', 'content-type'],
        maxAge: Duration.hours(1),
      },
    });
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: logRetention });
    const stage = new HttpStage(this, 'ApiStage', {
      httpApi: this.api,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: config.throttleRateLimit, burstLimit: config.throttleBurstLimit },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            integrationLatency: '$context.integrationLatency',
            authorizerError: '$context.authorizer.error',
          }),
        ),
      },
    });

    // Every dashboard handler verifies the caller's JWT itself, against the authorizer's issuer and audience.
    const jwtEnvironment = { JWT_ISSUER: issuer, JWT_AUDIENCE: audience.join(',') };
    for (const route of routes) {
      const fn = make(route, {
        ...(route.public ? {} : jwtEnvironment),
        ...(route.signedBy === 'github' ? { SECRET_SCANNING_KEYS_URL: config.secretScanningKeysUrl } : {}),
      });
      const integration = new HttpLambdaIntegration(`${pascal(route.handler)}Integration`, fn.fn);
      const apiRoutes = this.api.addRoutes({
        path: route.path,
        methods: [route.method as HttpMethod, ...(route.head ? ['HEAD' as HttpMethod] : [])],
        integration,
        authorizer: route.public ? new HttpNoneAuthorizer() : authorizer,
      });
      for (const apiRoute of route.public ? apiRoutes : []) {
        Validations.of(apiRoute).acknowledge({
          id: 'AwsSolutions::AwsSolutions-APIG4',
          reason:
            route.signedBy === 'github'
              ? "GitHub signs each secret-scanning report with ECDSA over the body, which the function verifies against GitHub's published keys; an API Gateway authorizer cannot see the body."
              : route.signedBy === 'integration'
                ? 'Integrations authenticate this route with an HMAC signature over the body, which the function verifies; an API Gateway authorizer cannot see the body.'
                : 'Public by design: liveness and the OpenAPI document carry no data.',
        });
      }
    }
    // Route-level limits below the stage-wide bucket, so no one route (least of all the public one) can
    // take the whole stage's share. HTTP APIs have no per-caller limit: the public route adds its own.
    (stage.node.defaultChild as CfnStage).routeSettings = Object.fromEntries(
      routes
        .filter((route) => route.throttle)
        .map((route) => [
          `${route.method} ${route.path}`,
          // RouteSettings is passed through as JSON, so in CloudFormation's own casing.
          {
            ThrottlingRateLimit: route.throttle?.rateLimit,
            ThrottlingBurstLimit: route.throttle?.burstLimit,
          },
        ]),
    );
    for (const internal of internalFunctions) {
      const fn = make(internal);
      new CfnOutput(this, `${pascal(internal.handler)}FunctionName`, {
        value: fn.fn.functionName,
        description: 'Invoke with lambda:InvokeFunction from the platform services that need it',
      });
    }
    addJobs(this, make, props, config.dashboardUrl ?? site.origin);
    site.deployConfig({ apiUrl: this.api.apiEndpoint, auth: dashboardAuth });
    new CfnOutput(this, 'DashboardUrl', { value: `${site.origin}/` });
    for (const fn of this.functions.values()) {
      Validations.of(fn.role).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
        reason:
          'X-Ray tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level permissions.',
      });
    }
    for (const handler of props.anchorBucketExport ? ['anchor-audit', 'verify-audit'] : []) {
      const fn = this.functions.get(handler);
      if (!fn) continue;
      Validations.of(fn.role).acknowledge({
        id: `AwsSolutions::AwsSolutions-IAM5[Resource::${props.anchorBucketExport}/anchors/*]`,
        reason:
          'Anchors are one object each: the role reads (and the job writes) objects under anchors/ only.',
      });
    }

    new CfnOutput(this, 'ApiUrl', { value: this.api.apiEndpoint });
  }
}

/**
 * The jobs: the daily rotation reminder on an EventBridge Scheduler schedule (in the deploy's time
 * zone), and the stream consumer that publishes lifecycle events, with its failures kept in a queue.
 */
function addJobs(
  stack: Stack,
  make: (spec: FunctionSpec, environment?: Record<string, string>) => ServiceFunction,
  props: StatelessStackProps,
  dashboardUrl: string,
) {
  const { config } = props;
  const job = (handler: string) => {
    const spec = jobs.find((candidate) => candidate.handler === handler);
    if (!spec) throw new Error(`No job ${handler} in the route table`);
    return spec;
  };
  const remind = make(job('remind-rotation'), {
    TOPIC_ARN: props.topic.topicArn,
    DASHBOARD_URL: dashboardUrl,
  });
  const scheduleQueue = new Queue(stack, 'ReminderScheduleFailures', {
    enforceSSL: true,
    encryption: QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
  });
  const daily = {
    minute: '0',
    hour: String(config.reminderHour),
    timeZone: TimeZone.of(config.reminderTimeZone),
  };
  schedule(stack, remind, scheduleQueue, {
    id: 'DailyRotationReminder',
    roleId: 'ReminderSchedulerRole',
    handler: 'remind-rotation',
    description: 'the daily rotation reminder',
    cron: daily,
  });
  if (props.anchorBucketExport) {
    // Half an hour after the reminder, whose events it then anchors the same day.
    schedule(stack, make(job('anchor-audit')), scheduleQueue, {
      id: 'DailyAuditAnchor',
      roleId: 'AnchorSchedulerRole',
      handler: 'anchor-audit',
      description: "the daily anchor of every integration's audit head",
      cron: { ...daily, minute: '30' },
    });
  }

  const publish = make(job('publish-lifecycle'));
  const streamFailures = new Queue(stack, 'LifecycleEventFailures', {
    enforceSSL: true,
    encryption: QueueEncryption.SQS_MANAGED,
    retentionPeriod: Duration.days(14),
  });
  publish.fn.addEventSource(
    new DynamoEventSource(props.table, {
      startingPosition: StartingPosition.TRIM_HORIZON,
      batchSize: 25,
      maxBatchingWindow: Duration.seconds(1),
      retryAttempts: 10,
      maxRecordAge: Duration.hours(24),
      reportBatchItemFailures: true,
      parallelizationFactor: 1,
      onFailure: new SqsDlq(streamFailures),
      // Only items that carry audit events; credential records and usage stamps never reach the function.
      filters: [FilterCriteria.filter(LIFECYCLE_FILTER)],
    }),
  );
  for (const queue of [scheduleQueue, streamFailures]) {
    Validations.of(queue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of a job: what lands here is inspected, not redriven to a further queue.',
    });
  }
}

/** A job on an EventBridge Scheduler cron, with a role of its own that may invoke only it. */
function schedule(
  stack: Stack,
  job: ServiceFunction,
  deadLetterQueue: Queue,
  {
    id,
    roleId,
    handler,
    description,
    cron,
  }: { id: string; roleId: string; handler: string; description: string; cron: CronOptions },
) {
  const role = new Role(stack, roleId, {
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
    }),
    description: `Shared Secret Keys: invokes ${description} on its schedule`,
  });
  const [functionId] = (stack.resolve(job.fn.functionArn) as { 'Fn::GetAtt': [string, string] })[
    'Fn::GetAtt'
  ];
  Validations.of(role).acknowledge({
    id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${functionId}.Arn>:*]`,
    reason:
      "LambdaInvoke grants the function's versions and aliases too (function:*); the function has no others.",
  });
  new Schedule(stack, id, {
    description: `Shared Secret Keys: ${description}`,
    schedule: ScheduleExpression.cron(cron),
    target: new LambdaInvoke(job.fn, {
      role,
      input: ScheduleTargetInput.fromObject({ job: handler }),
      retryAttempts: 2,
      maxEventAge: Duration.hours(2),
      deadLetterQueue,
    }),
  });
}

function retention(days: number): RetentionDays {
  const allowed = Object.values(RetentionDays).filter((value): value is number => typeof value === 'number');
  const match = allowed.filter((value) => value >= days).sort((a, b) => a - b)[0];
  return (match ?? RetentionDays.TEN_YEARS) as RetentionDays;
}
