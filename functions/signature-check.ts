import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { apiPolicy, json } from '../shared/http/api.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { requireSignature, type SignedContext } from '../shared/http/signature-middleware.js';
import { signingService } from '../shared/wiring.js';

const service = signingService();

/** POST /v1/signature-check: integrations test their signing here; the middleware does all the work. */
export const handler = lambdaHandler<
  APIGatewayProxyEventV2WithJWTAuthorizer,
  APIGatewayProxyStructuredResultV2,
  SignedContext
>((chain) =>
  chain
    .use(apiPolicy())
    .use(requireSignature(service))
    .handler(async (_event, context) =>
      json(200, { valid: true, keyId: context.client?.keyId, keyName: context.client?.keyName }),
    ),
);
