import { dynamoClient, eventBridgeClient, snsClient } from './adapters/clients.js';
import { systemClock } from './adapters/clock.js';
import { createReminderStore } from './adapters/dynamodb/reminders.js';
import { createEventPublisher, createNotifier } from './adapters/notifications.js';
import { requireEnv } from './config.js';
import type { EventPublisher } from './domain/lifecycle.js';
import type { ReminderDeps } from './domain/reminders.js';

/** The factories of the two jobs, called once at module scope: no KMS client in either. */
export function reminderDeps(): ReminderDeps {
  const events = eventBridgeClient();
  const busName = process.env.EVENT_BUS_NAME || undefined;
  return {
    store: createReminderStore({ client: dynamoClient(), tableName: requireEnv('TABLE_NAME') }),
    notifier: createNotifier({ sns: snsClient(), topicArn: requireEnv('TOPIC_ARN'), events, busName }),
    clock: systemClock,
    dashboardUrl: process.env.DASHBOARD_URL || undefined,
  };
}

export function lifecyclePublisher(): EventPublisher {
  return createEventPublisher(eventBridgeClient(), process.env.EVENT_BUS_NAME || undefined);
}
