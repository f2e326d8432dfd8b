import * as z from 'zod/mini';
import { DomainError } from '../shared/domain/errors.js';
import { describeIssues } from '../shared/http/api.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { SignWebhookInput } from '../shared/http/schemas.js';
import { signingService } from '../shared/wiring.js';

const service = signingService();

/**
 * Internal: { accountId, integrationId, payload, id? } → { headers, keyIds } for an outbound webhook. Errors come
 * back as { error: { code, message } } so the caller can tell "fix your input" from "retry".
 */
export const handler = lambdaHandler<unknown, unknown>((chain) =>
  chain.handler(async (event) => {
    const input = z.safeParse(SignWebhookInput, event);
    if (!input.success) {
      const message = describeIssues('', input.error.issues);
      return { error: { code: 'invalid_request', message } };
    }
    try {
      return await service.sign(input.data);
    } catch (error) {
      if (error instanceof DomainError) return { error: { code: error.code, message: error.message } };
      throw error;
    }
  }),
);
