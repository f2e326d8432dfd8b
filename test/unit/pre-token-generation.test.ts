import type { PreTokenGenerationTriggerEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { handler } from '../../functions/pre-token-generation.js';
import { parseRoles } from '../../shared/http/identity.js';

function event(userAttributes: Record<string, string>): PreTokenGenerationTriggerEvent {
  return {
    version: '1',
    triggerSource: 'TokenGeneration_Authentication',
    region: 'us-east-1',
    userPoolId: 'pool',
    userName: 'alice',
    callerContext: { awsSdkVersion: '1', clientId: 'client' },
    request: { userAttributes, groupConfiguration: { groupsToOverride: [], iamRolesToOverride: [] } },
    response: { claimsOverrideDetails: {} },
  } as PreTokenGenerationTriggerEvent;
}

describe('Cognito pre-token-generation trigger', () => {
  it('puts account_id and roles into the ID token from the administrator-set attributes', async () => {
    const result = await handler(
      event({ sub: 'u1', 'custom:account_id': 'acme', 'custom:roles': 'admin,viewer' }),
    );
    const claims = result.response.claimsOverrideDetails.claimsToAddOrOverride ?? {};
    expect(claims).toEqual({ account_id: 'acme', roles: 'admin viewer' });
    // The API reads the claim as API Gateway hands it over.
    expect(parseRoles(claims.roles)).toEqual(['admin', 'viewer']);
  });

  it('adds nothing for a user without an account, and drops unknown roles', async () => {
    const result = await handler(event({ sub: 'u2', 'custom:roles': 'root' }));
    expect(result.response.claimsOverrideDetails.claimsToAddOrOverride).toEqual({});
  });

  it('keeps what Cognito already put in the override, and works when it put nothing there', async () => {
    const withGroups = event({ 'custom:account_id': 'acme' });
    withGroups.response.claimsOverrideDetails = { claimsToSuppress: ['email'] };
    const kept = await handler(withGroups);
    expect(kept.response.claimsOverrideDetails).toEqual({
      claimsToSuppress: ['email'],
      claimsToAddOrOverride: { account_id: 'acme' },
    });
    const bare = { ...event({ 'custom:account_id': 'acme' }), response: undefined };
    const result = await handler(bare as unknown as PreTokenGenerationTriggerEvent);
    expect(result.response.claimsOverrideDetails.claimsToAddOrOverride).toEqual({ account_id: 'acme' });
  });
});
