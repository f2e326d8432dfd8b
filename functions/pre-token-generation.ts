import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { parseRoles } from '../shared/domain/access.js';

/**
 * Cognito pre-token-generation trigger (the stack's own user pool only): copies the administrator-set
 * `custom:account_id` and `custom:roles` attributes into plain `account_id` and `roles` claims of the ID
 * token, the names the API reads. Users cannot write those attributes (see the app client).
 */
export const handler = async (
  event: PreTokenGenerationTriggerEvent,
): Promise<PreTokenGenerationTriggerEvent> => {
  const attributes = event.request.userAttributes;
  const claims: Record<string, string> = {};
  const account = attributes['custom:account_id'];
  if (account) claims.account_id = account;
  const roles = parseRoles(attributes['custom:roles']);
  if (roles.length > 0) claims.roles = roles.join(' ');
  event.response = {
    claimsOverrideDetails: { ...event.response?.claimsOverrideDetails, claimsToAddOrOverride: claims },
  };
  return event;
};
