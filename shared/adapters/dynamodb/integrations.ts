import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { tableCalls } from './calls.js';
import { GSI1 } from './table.js';

/**
 * Every integration of every account, page by page: a scan of gsi1, which holds only integration items
 * (table.ts), so it reads nothing else. For the anchor job, which visits each trail once a day.
 */
export async function* allIntegrations(
  client: DynamoDBDocumentClient,
  tableName: string,
): AsyncGenerator<{ accountId: string; integrationId: string }> {
  const { send } = tableCalls(client);
  let start: Record<string, unknown> | undefined;
  do {
    const page = await send(
      new ScanCommand({
        TableName: tableName,
        IndexName: GSI1,
        ProjectionExpression: '#account, #id',
        ExpressionAttributeNames: { '#account': 'accountId', '#id': 'id' },
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      if (typeof item.accountId === 'string' && typeof item.id === 'string') {
        yield { accountId: item.accountId, integrationId: item.id };
      }
    }
    start = page.LastEvaluatedKey;
  } while (start);
}
