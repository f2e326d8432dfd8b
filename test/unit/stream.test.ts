import { marshall } from '@aws-sdk/util-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { addedEvents } from '../../shared/adapters/dynamodb/stream.js';

/** The stream as the outbox: which audit events a record's change added, and whose they are. */
const audit = (...ids: string[]) =>
  Object.fromEntries(ids.map((id) => [id, { action: 'key.revealed', actor: 'alice' }]));
const image = (sk: string, ids: string[], extra: Record<string, unknown> = {}) =>
  marshall({ pk: 'ACCOUNT#acme', sk, accountId: 'acme', audit: audit(...ids), ...extra }) as NonNullable<
    DynamoDBRecord['dynamodb']
  >['NewImage'];
const record = (eventName: DynamoDBRecord['eventName'], sk: string, after: string[], before?: string[]) =>
  ({
    eventName,
    dynamodb: {
      NewImage: image(sk, after, { displayCiphertext: new Uint8Array([1, 2, 3]) }),
      ...(before ? { OldImage: image(sk, before) } : {}),
    },
  }) as DynamoDBRecord;

describe('events a stream record added', () => {
  it('only the entries the old image had not, in id order, of the integration the item belongs to', () => {
    const events = addedEvents(record('MODIFY', 'INTEGRATION#int_1', ['evt_3', 'evt_1', 'evt_2'], ['evt_1']));
    expect(events.map((event) => [event.id, event.integrationId, event.accountId])).toEqual([
      ['evt_2', 'int_1', 'acme'],
      ['evt_3', 'int_1', 'acme'],
    ]);
  });

  it('an old image without an audit map (the item before its first event) had none of them', () => {
    const first = record('MODIFY', 'INTEGRATION#int_1', ['evt_1']);
    const change = {
      ...first,
      dynamodb: { ...first.dynamodb, OldImage: marshall({ sk: 'INTEGRATION#int_1' }) },
    };
    expect(addedEvents(change as DynamoDBRecord).map((event) => event.id)).toEqual(['evt_1']);
  });

  it("a key item's events belong to the integration in its sort key and concern that key", () => {
    const [event] = addedEvents(record('INSERT', 'KEY#int_9#key_5', ['evt_1']));
    expect(event).toMatchObject({ id: 'evt_1', integrationId: 'int_9', keyId: 'key_5' });
  });

  it("an account's settings events belong to no integration", () => {
    const [event] = addedEvents(record('INSERT', 'SETTINGS#rotation', ['evt_1']));
    expect(event?.integrationId).toBeUndefined();
    expect(event?.accountId).toBe('acme');
  });

  it('a removed item, or a record without its change or account, added nothing', () => {
    expect(addedEvents(record('REMOVE', 'INTEGRATION#int_1', ['evt_1']))).toEqual([]);
    expect(addedEvents({ eventName: 'INSERT' } as DynamoDBRecord)).toEqual([]);
    const anonymous = { eventName: 'INSERT', dynamodb: { NewImage: marshall({ sk: 'INTEGRATION#x' }) } };
    expect(addedEvents(anonymous as DynamoDBRecord)).toEqual([]);
  });
});
