import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import type { AuditEvent } from '../../domain/model.js';
import { ascendingBy } from '../../domain/order.js';
import { eventsOf, type Item } from './codec.js';
import { AUDIT_ATTRIBUTE, TableKeys } from './table.js';

/**
 * The stream records the lifecycle consumer is given: changes of items that carry audit events. The CDK
 * event source's filter and the local stream reader both apply exactly this.
 */
export const LIFECYCLE_FILTER = {
  eventName: ['INSERT', 'MODIFY'],
  dynamodb: { NewImage: { type: { S: ['integration', 'key', 'settings'] } } },
};

type Image = NonNullable<NonNullable<DynamoDBRecord['dynamodb']>['NewImage']>;

/** Only the few plain attributes the outbox needs: never the images' ciphertexts. */
function read(image: Image | undefined, names: string[]): Item {
  if (!image) return {};
  const picked = Object.fromEntries(names.filter((name) => image[name]).map((name) => [name, image[name]]));
  return unmarshall(picked as Parameters<typeof unmarshall>[0]);
}

/**
 * The audit events a stream record's change added: the entries of the item's audit map that its new
 * image has and its old image had not. Every audited change writes its event in the change's own write
 * (codec.ts), so the stream is the outbox: no event without its change, none twice for one change.
 */
export function addedEvents(record: DynamoDBRecord): AuditEvent[] {
  const change = record.dynamodb;
  if (!change || record.eventName === 'REMOVE') return [];
  const after = read(change.NewImage, ['sk', 'accountId', AUDIT_ATTRIBUTE]);
  const before = read(change.OldImage, [AUDIT_ATTRIBUTE]);
  if (typeof after.accountId !== 'string' || typeof after.sk !== 'string') return [];
  const integrationId = integrationOf(after.sk);
  const known = new Set(Object.keys((before[AUDIT_ATTRIBUTE] as Item | undefined) ?? {}));
  return ascendingBy(
    eventsOf(after, after.accountId, integrationId).filter((event) => !known.has(event.id)),
    (event) => event.id,
  );
}

function integrationOf(sk: string): string | undefined {
  if (sk.startsWith(TableKeys.integrationPrefix)) return sk.slice(TableKeys.integrationPrefix.length);
  if (sk.startsWith(TableKeys.anyKeyPrefix)) return sk.slice(TableKeys.anyKeyPrefix.length).split('#')[0];
  return undefined;
}
