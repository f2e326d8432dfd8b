import { internalHandler } from '../shared/http/internal.js';
import { logger } from '../shared/http/logger.js';
import { VerifySignatureInput } from '../shared/http/schemas.js';
import { signingService } from '../shared/signing-wiring.js';

const service = signingService();

/**
 * Internal: invoked with AWS credentials by the platform's own services, never exposed on the API.
 * { apiKey, signature, body (base64), timestamp?, method, path } → { valid: true, accountId, integrationId,
 * keyId } or { valid: false, reason, retryable }. The answer names the account, so a caller can check
 * that the integration is the one it expects.
 */
export const handler = internalHandler(VerifySignatureInput, async (input) => {
  const result = await service.verify({ ...input, body: Buffer.from(input.body, 'base64') });
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
});
