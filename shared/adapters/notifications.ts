import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { EVENT_SOURCE, type EventPublisher, ROTATION_DUE_DETAIL_TYPE } from '../domain/lifecycle.js';
import type { Notifier } from '../domain/reminders.js';

/** PutEvents takes at most 10 entries a call. */
const PUT_EVENTS_MAX = 10;

/** Lifecycle events on an EventBridge bus (the account's default bus unless named). */
export function createEventPublisher(client: EventBridgeClient, busName?: string): EventPublisher {
  return {
    async publish(events) {
      const failed: number[] = [];
      for (let start = 0; start < events.length; start += PUT_EVENTS_MAX) {
        const batch = events.slice(start, start + PUT_EVENTS_MAX);
        const result = await client.send(
          new PutEventsCommand({
            Entries: batch.map((event) => ({
              Source: EVENT_SOURCE,
              DetailType: event.detailType,
              Detail: JSON.stringify(event.detail),
              ...(busName ? { EventBusName: busName } : {}),
            })),
          }),
        );
        (result.Entries ?? []).forEach((entry, i) => {
          if (entry.ErrorCode) failed.push(start + i);
        });
      }
      return failed;
    },
  };
}

/**
 * Rotation notices: one SNS message an email subscription shows as it is (subject and plain text), with
 * the account id as a message attribute so a subscription can filter to its own account, and one
 * EventBridge event with the structured detail.
 */
export function createNotifier(deps: {
  sns: SNSClient;
  topicArn: string;
  events: EventBridgeClient;
  busName?: string;
}): Notifier {
  return {
    async notify(notice) {
      await deps.sns.send(
        new PublishCommand({
          TopicArn: deps.topicArn,
          Subject: notice.subject,
          Message: notice.text,
          MessageAttributes: { accountId: { DataType: 'String', StringValue: notice.accountId } },
        }),
      );
      const result = await deps.events.send(
        new PutEventsCommand({
          Entries: [
            {
              Source: EVENT_SOURCE,
              DetailType: ROTATION_DUE_DETAIL_TYPE,
              Detail: JSON.stringify({ accountId: notice.accountId, at: notice.at, keys: notice.keys }),
              ...(deps.busName ? { EventBusName: deps.busName } : {}),
            },
          ],
        }),
      );
      if (result.FailedEntryCount) throw new Error('EventBridge did not accept the rotation event');
    },
  };
}
