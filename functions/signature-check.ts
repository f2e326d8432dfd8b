import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiPolicy, json } from '../shared/http/api.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { limitPerClient, requireSignature, type SignedContext } from '../shared/http/signature-middleware.js';
import { selfTestLimiter, signingService } from '../shared/signing-wiring.js';

const service = signingService();
const limiter = selfTestLimiter();

/** POST /v1/signature-check: integrations test their signing here; the middleware does all the work. */
export const handler = lambdaHandler<
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  SignedContext
>((chain) =>
  chain
    .use(apiPolicy())
    .use(limitPerClient(limiter))
    .use(requireSignature(service))
    .handler(async (_event, context) =>
      json(200, { valid: true, keyId: context.client?.keyId, keyName: context.client?.keyName }),
    ),
);
