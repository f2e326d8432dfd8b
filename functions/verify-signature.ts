import * as z from 'zod/mini';
import { describeIssues } from '../shared/http/api.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { logger } from '../shared/http/logger.js';
import { VerifySignatureInput } from '../shared/http/schemas.js';
import { signingService } from '../shared/wiring.js';

const service = signingService();

/**
 * Internal: invoked with AWS credentials by the platform's own services, never exposed on the API.
 * { apiKey, signature, body (base64), timestamp?, method, path } → { valid: true, accountId, integrationId,
 * keyId } or { valid: false, reason, retryable }. The answer names the account, so a caller can check
 * that the integration is the one it expects.
 */
export const handler = lambdaHandler<unknown, unknown>((chain) =>
  chain.handler(async (event) => {
    const input = z.safeParse(VerifySignatureInput, event);
    if (!input.success) {
      return { valid: false, reason: 'invalid_request', message: describeIssues('', input.error.issues) };
    }
    const result = await service.verify({ ...input.data, body: Buffer.from(input.data.body, 'base64') });
    // The hot path logs only rejections: a line per valid call would cost more than the call itself.
    if (!result.valid) {
      logger.info('signature rejected', { reason: result.reason });
      return { valid: false, reason: result.reason, retryable: result.retryable };
    }
    return {
      valid: true,
      accountId: result.accountId,
      integrationId: result.integrationId,
      keyId: result.keyId,
    };
  }),
);
