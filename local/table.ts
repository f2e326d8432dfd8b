import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { TABLE } from '../shared/adapters/dynamodb/table.js';

const gsi2 = {
  IndexName: TABLE.gsi2.indexName,
  KeySchema: [
    { AttributeName: TABLE.gsi2.partitionKey, KeyType: 'HASH' as const },
    { AttributeName: TABLE.gsi2.sortKey, KeyType: 'RANGE' as const },
  ],
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...TABLE.gsi2.projected] },
};

const gsi3 = {
  IndexName: TABLE.gsi3.indexName,
  KeySchema: [{ AttributeName: TABLE.gsi3.partitionKey, KeyType: 'HASH' as const }],
  Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...TABLE.gsi3.projected] },
};

/** The table the CDK app deploys, from the same declaration (shared/adapters/dynamodb/table.ts). */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          TABLE.partitionKey,
          TABLE.sortKey,
          TABLE.gsi1.partitionKey,
          TABLE.gsi1.sortKey,
          TABLE.gsi2.partitionKey,
          TABLE.gsi2.sortKey,
          TABLE.gsi3.partitionKey,
        ].map((name) => ({ AttributeName: name, AttributeType: 'S' as const })),
        KeySchema: [
          { AttributeName: TABLE.partitionKey, KeyType: 'HASH' },
          { AttributeName: TABLE.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: TABLE.gsi1.indexName,
            KeySchema: [
              { AttributeName: TABLE.gsi1.partitionKey, KeyType: 'HASH' },
              { AttributeName: TABLE.gsi1.sortKey, KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'ALL' },
          },
          gsi2,
          gsi3,
        ],
        // The lifecycle events' outbox (shared/domain/lifecycle.ts), as on AWS.
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: TABLE.ttlAttribute, Enabled: true },
      }),
    );
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    await upgrade(client, tableName);
  }
  await client.send(new DescribeTableCommand({ TableName: tableName }));
}

/** A table kept in DATA_DIR by an earlier version: add what it lacks (the due index, the stream). */
async function upgrade(client: DynamoDBClient, tableName: string) {
  const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (!table?.StreamSpecification?.StreamEnabled) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
      }),
    );
  }
  if (!table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === TABLE.gsi2.indexName)) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [TABLE.gsi2.partitionKey, TABLE.gsi2.sortKey].map((name) => ({
          AttributeName: name,
          AttributeType: 'S' as const,
        })),
        GlobalSecondaryIndexUpdates: [{ Create: gsi2 }],
      }),
    );
  }
  if (!table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === TABLE.gsi3.indexName)) {
    await client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: [{ AttributeName: TABLE.gsi3.partitionKey, AttributeType: 'S' }],
        GlobalSecondaryIndexUpdates: [{ Create: gsi3 }],
      }),
    );
  }
}
