import * as z from 'zod/mini';
import { type RouteSpec, routes } from '../routes.js';
import { ErrorResponse } from './response-schemas.js';

type JsonSchema = Record<string, unknown>;

function schemaOf(schema: z.core.$ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return rest;
}

function parameters(schema: z.core.$ZodType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const json = schemaOf(schema, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: where,
    required: where === 'path' || (json.required ?? []).includes(name),
    schema: property,
  }));
}

const SIGNATURE_HEADERS = [
  {
    name: 'X-AUTH-CLIENT',
    in: 'header',
    required: true,
    description: "The integration's apiKey",
    schema: { type: 'string' },
  },
  {
    name: 'X-HMAC-SIGNATURE',
    in: 'header',
    required: true,
    description:
      'Lowercase hex HMAC-SHA256 of the raw body (or of "<timestamp>.<raw body>"), keyed with the secret\'s UTF-8 bytes',
    schema: { type: 'string', pattern: '^[0-9a-f]{64}$' },
  },
  {
    name: 'X-AUTH-TIMESTAMP',
    in: 'header',
    required: false,
    description: 'Unix seconds; when present it is signed into the payload and must be within 300 s of now',
    schema: { type: 'string' },
  },
];

function operation(route: RouteSpec) {
  const responses: Record<string, unknown> = {};
  for (const [status, response] of Object.entries(route.responses)) {
    responses[status] = {
      description: response.description,
      ...(response.noStore
        ? { headers: { 'Cache-Control': { schema: { type: 'string', const: 'no-store' } } } }
        : {}),
      ...(response.schema
        ? { content: { 'application/json': { schema: schemaOf(response.schema, 'output') } } }
        : {}),
    };
  }
  const error = { content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } };
  if (route.request)
    responses['400'] ??= { description: 'The request is invalid; the message names the field', ...error };
  if (!route.public) {
    responses['401'] ??= { description: 'Missing or invalid bearer token', ...error };
    if (route.method !== 'GET') responses['403'] ??= { description: 'The admin role is required', ...error };
    if (route.path.includes('{')) responses['404'] ??= { description: 'Not found in your account', ...error };
  }
  return {
    operationId: route.handler.replace(/-(\w)/g, (_, c: string) => c.toUpperCase()),
    summary: route.summary,
    ...(route.public ? { security: [] } : {}),
    parameters: [
      ...parameters(route.request?.params, 'path'),
      ...parameters(route.request?.query, 'query'),
      ...(route.signed ? SIGNATURE_HEADERS : []),
    ],
    ...(route.signed
      ? {
          requestBody: {
            description: 'Any body: the signature covers its raw bytes',
            content: { '*/*': {} },
          },
        }
      : {}),
    ...(route.request?.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(route.request.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

export function openApiDocument() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    paths[route.path] ??= {};
    const item = paths[route.path] as Record<string, unknown>;
    item[route.method.toLowerCase()] = operation(route);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Shared Secret Keys',
      version: '1.0.0',
      description:
        'Per-integration shared secret keys whose secret is shown once and never again. Every error is ' +
        '{ "error": { "code", "message" } }.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: { Error: schemaOf(ErrorResponse, 'output') },
    },
    security: [{ bearer: [] }],
    paths,
  };
}
