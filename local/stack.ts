import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDbLocal, startDynamoDbLocal } from './dynamodb-local.js';
import { type KmsStandIn, startKmsStandIn } from './kms-standin.js';
import { type NotifyStandIn, type OutboxEntry, startNotifyStandIn } from './notify-standin.js';
import { OUTBOX_FILE } from './paths.js';
import { type S3StandIn, startS3StandIn } from './s3-standin.js';
import { ensureTable } from './table.js';

export const LOCAL_TABLE = 'shared-secret-keys-local';
const LOCAL_TOPIC_ARN = 'arn:aws:sns:us-east-1:000000000000:shared-secret-keys-local';
const LOCAL_ANCHOR_BUCKET = 'shared-secret-keys-local-anchors';

export interface Engines {
  dynamodb: DynamoDbLocal;
  kms: KmsStandIn;
  /** SNS and EventBridge, writing to the outbox file. */
  notify: NotifyStandIn;
  /** S3 for the audit anchors, locked as Object Lock's compliance mode locks them. */
  s3: S3StandIn;
  tableName: string;
  /** The topic the reminder job publishes to (a name only: the stand-in takes any). */
  topicArn: string;
  /** Environment that points the AWS clients (and so the handlers) at these engines. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

/** The KMS stand-in's key must outlive a restart when the DynamoDB data does, or nothing would decrypt. */
function persistentMasterKey(dataDir: string): Buffer {
  const file = join(dataDir, 'kms-standin.key');
  if (!existsSync(file)) writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600 });
  return Buffer.from(readFileSync(file, 'utf8'), 'base64');
}

/** DynamoDB Local + the KMS stand-in + the table: everything the handlers need, on loopback. */
export async function startEngines(
  options: { dataDir?: string; tableName?: string; onOutbox?: (entry: OutboxEntry) => void } = {},
): Promise<Engines> {
  const tableName = options.tableName ?? LOCAL_TABLE;
  // LOCAL_DYNAMODB_ENDPOINT: use a DynamoDB (Local) that already runs — the reliability suite puts a
  // fault-injecting proxy there — instead of starting one.
  const external = process.env.LOCAL_DYNAMODB_ENDPOINT;
  const dynamodb: DynamoDbLocal = external
    ? { endpoint: external, port: Number(new URL(external).port), stop: async () => undefined }
    : await startDynamoDbLocal({ dataDir: options.dataDir });
  let kms: KmsStandIn | undefined;
  let notify: NotifyStandIn | undefined;
  let s3: S3StandIn | undefined;
  try {
    notify = await startNotifyStandIn({ outbox: OUTBOX_FILE, onEntry: options.onOutbox });
    s3 = await startS3StandIn({ bucket: LOCAL_ANCHOR_BUCKET });
    kms = await startKmsStandIn(
      options.dataDir
        ? { masterKey: persistentMasterKey(options.dataDir), keyId: '00000000-0000-4000-8000-000000000001' }
        : {},
    );
    const env = {
      AWS_REGION: 'us-east-1',
      // DynamoDB Local wants an access key of letters and digits only.
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_DYNAMODB: dynamodb.endpoint,
      AWS_ENDPOINT_URL_KMS: kms.endpoint,
      AWS_ENDPOINT_URL_SNS: notify.endpoint,
      AWS_ENDPOINT_URL_EVENTBRIDGE: notify.endpoint,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      ANCHOR_BUCKET: s3.bucket,
      TABLE_NAME: tableName,
      TOPIC_ARN: LOCAL_TOPIC_ARN,
      // Local runs may use Node 20; the SDK's notice about its future Node 22 floor is noise here.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      KMS_KEY_ID: kms.keyArn,
    };
    const client = new DynamoDBClient({
      region: env.AWS_REGION,
      endpoint: dynamodb.endpoint,
      credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
    });
    await ensureTable(client, tableName);
    client.destroy();
    const started = { kms, notify, s3 };
    return {
      dynamodb,
      ...started,
      tableName,
      topicArn: LOCAL_TOPIC_ARN,
      env,
      async stop() {
        await started.kms.close();
        await started.notify.close();
        await started.s3.close();
        await dynamodb.stop();
      },
    };
  } catch (error) {
    await kms?.close();
    await notify?.close();
    await s3?.close();
    await dynamodb.stop();
    throw error;
  }
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });
}
