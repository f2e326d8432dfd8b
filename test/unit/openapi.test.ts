import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { OPENAPI_FILE, renderOpenApi } from '../../shared/http/write-openapi.js';
import { routes } from '../../shared/routes.js';

describe('OpenAPI document', () => {
  it('the committed openapi.json is what the route table and schemas generate (run `npm run openapi`)', () => {
    expect(readFileSync(OPENAPI_FILE, 'utf8')).toBe(renderOpenApi());
  });

  it('describes every route, its request schema and its errors', () => {
    const document = JSON.parse(renderOpenApi()) as {
      openapi: string;
      paths: Record<
        string,
        Record<string, { requestBody?: unknown; responses: Record<string, unknown>; security?: unknown[] }>
      >;
    };
    expect(document.openapi).toBe('3.1.0');
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.path}`).toBeDefined();
      if (!route.public) expect(operation?.responses['401']).toBeDefined();
      if (route.public) expect(operation?.security).toEqual([]);
      if (route.request?.body) expect(operation?.requestBody).toBeDefined();
    }
    const create = document.paths['/integrations/{integrationId}/keys']?.post as unknown as {
      requestBody: {
        content: { 'application/json': { schema: { properties: { name: { maxLength: number } } } } };
      };
    };
    expect(create.requestBody.content['application/json'].schema.properties.name.maxLength).toBe(100);
  });
});
