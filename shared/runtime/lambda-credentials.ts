import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Bundled in place of `@aws-sdk/credential-provider-node` (see infra/bundling.ts). On Lambda the
 * function's role credentials are in the environment (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
 * AWS_SESSION_TOKEN), refreshed by Lambda itself for each new container, so the SDK's full default
 * chain (SSO, INI files, process, web identity, container and instance metadata) has nothing to find
 * and costs ~25 ms of module init. The clients still take every other default of the SDK.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
