import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';

/** Content types API Gateway hands over as text; every other body arrives base64-encoded. */
const TEXT_TYPES = /^(application\/([\w.+-]*\+)?json|text\/|application\/x-www-form-urlencoded)/i;

export interface ApiEventInput {
  method: string;
  /** The route's path template, e.g. /integrations/{integrationId}. */
  path: string;
  params?: Record<string, string>;
  /** The path as called; by default the template with the params filled in. */
  rawPath?: string;
  rawQueryString?: string;
  /** Header names lower-cased, as HTTP API v2 hands them over. */
  headers?: Record<string, string>;
  body?: string | Buffer;
  sourceIp?: string;
  protocol?: string;
  requestId?: string;
  /** What API Gateway's JWT authorizer would put there (the handlers never trust it). */
  claims?: Record<string, string>;
}

/**
 * An API Gateway HTTP API (payload 2.0) event, as API Gateway builds it: the one builder of the local
 * server, the bench and the tests. A text-typed body is passed as text; any other, and any that is not
 * valid UTF-8 (which could not survive being text), base64-encoded.
 */
export function apiGatewayEvent(input: ApiEventInput): APIGatewayProxyEventV2WithJWTAuthorizer {
  const params = input.params ?? {};
  const rawPath = input.rawPath ?? input.path.replace(/\{(\w+)\}/g, (_, name: string) => params[name] ?? '');
  const rawQueryString = input.rawQueryString ?? '';
  const headers = input.headers ?? {};
  const body = input.body === undefined ? Buffer.alloc(0) : Buffer.from(input.body);
  const isText = TEXT_TYPES.test(headers['content-type'] ?? '') && isUtf8(body);
  const query: Record<string, string> = {};
  for (const [name, value] of new URLSearchParams(rawQueryString)) {
    query[name] = query[name] ? `${query[name]},${value}` : value;
  }
  const routeKey = `${input.method} ${input.path}`;
  const now = new Date();
  return {
    version: '2.0',
    routeKey,
    rawPath,
    rawQueryString,
    headers,
    queryStringParameters: Object.keys(query).length ? query : undefined,
    pathParameters: Object.keys(params).length ? params : undefined,
    body: body.length ? (isText ? body.toString('utf8') : body.toString('base64')) : undefined,
    isBase64Encoded: body.length > 0 && !isText,
    requestContext: {
      accountId: '000000000000',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: 'local',
      http: {
        method: input.method,
        path: rawPath,
        protocol: input.protocol ?? 'HTTP/1.1',
        sourceIp: input.sourceIp ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      // Shaped like API Gateway's own (16 characters): the audit events that carry it are sized as deployed.
      requestId: input.requestId ?? `${randomBytes(12).toString('base64').slice(0, 15)}=`,
      routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
      authorizer: input.claims
        ? { principalId: '', integrationLatency: 0, jwt: { claims: input.claims, scopes: [] } }
        : undefined,
    },
  } as unknown as APIGatewayProxyEventV2WithJWTAuthorizer;
}
