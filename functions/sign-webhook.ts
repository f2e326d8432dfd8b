import { internalHandler } from '../shared/http/internal.js';
import { SignWebhookInput } from '../shared/http/schemas.js';
import { signingService } from '../shared/signing-wiring.js';

const service = signingService();

/** Internal: { accountId, integrationId, payload, id? } → { headers, keyIds } for an outbound webhook. */
export const handler = internalHandler(SignWebhookInput, (input) => service.sign(input));
