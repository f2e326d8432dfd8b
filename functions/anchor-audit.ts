import { anchorDeps } from '../shared/audit-wiring.js';
import { anchorTrails } from '../shared/domain/audit-trail.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { logger } from '../shared/http/logger.js';

const deps = anchorDeps();

/**
 * The daily anchor, run by an EventBridge Scheduler schedule when the deploy turns anchoring on: every
 * integration's audit trail is verified and its heads written to the Object Lock bucket. A trail that
 * fails verification is not anchored (a tampered state never becomes the reference) and is logged by
 * account, integration, item and reason, never an event's content.
 */
export const handler = lambdaHandler<unknown, { anchored: number; broken: number }>((chain) =>
  chain.handler(async () => {
    const run = await anchorTrails(deps, deps.integrations());
    for (const broken of run.broken) logger.error('audit trail broken: not anchored', broken);
    logger.info('audit anchors', { anchored: run.anchored, broken: run.broken.length });
    return { anchored: run.anchored, broken: run.broken.length };
  }),
);
