import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Bundled in place of @aws-sdk/credential-provider-node (see infra/bundling.ts). Lambda always hands a
 * function its role's credentials in the environment, which is the first thing the SDK's default chain
 * tries anyway; the rest of that chain (SSO, INI files, web identity, IMDS, container) is ~100 KB of
 * bundle and cold-start work a Lambda never uses.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
