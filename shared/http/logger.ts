import { Logger } from '@aws-lambda-powertools/logger';

/**
 * One logger for every function. Request bodies, responses and whole events are never logged: in this
 * service they can carry secrets (POWERTOOLS_LOGGER_LOG_EVENT stays off).
 */
export const logger = new Logger({
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'shared-secret-keys',
});
