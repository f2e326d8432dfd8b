import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { ChainStore } from '../../domain/audit-trail.js';
import { tableCalls } from './calls.js';
import { chainOf, type Item } from './codec.js';
import { AUDIT_ATTRIBUTE, HEAD_ATTRIBUTE, TABLE, TableKeys } from './table.js';

/** What a chain's verification reads of an item. */
const CHAIN = {
  ProjectionExpression: '#sk, #audit, #head',
  ExpressionAttributeNames: { '#sk': TABLE.sortKey, '#audit': AUDIT_ATTRIBUTE, '#head': HEAD_ATTRIBUTE },
};

/**
 * The audit chains for verification and anchoring (shared/domain/audit-trail.ts), read consistently: only
 * the functions that verify or anchor a trail bundle this, not the key store every route carries.
 */
export function createChainStore({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): ChainStore {
  const { send, queryAll } = tableCalls(client);

  const items = (pk: string, prefix: string): Promise<Item[]> =>
    queryAll({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': prefix },
      ConsistentRead: true,
      ...CHAIN,
    });

  return {
    async auditChains(accountId, integrationId) {
      const [integration, keys] = await Promise.all([
        send(
          new GetCommand({
            TableName: tableName,
            Key: { pk: TableKeys.account(accountId), sk: TableKeys.integration(integrationId) },
            ConsistentRead: true,
            ...CHAIN,
          }),
        ),
        items(TableKeys.account(accountId), TableKeys.keyPrefix(integrationId)),
      ]);
      if (!integration.Item) return [];
      return [integration.Item, ...keys].map((item) => chainOf(item, accountId, integrationId));
    },

    async accountChains(accountId) {
      const found = await items(TableKeys.account(accountId), TableKeys.settingsPrefix);
      return found.map((item) => chainOf(item, accountId));
    },
  };
}
