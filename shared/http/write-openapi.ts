import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openApiDocument } from './openapi.js';

/**
 * `npm run openapi`: writes openapi.json from the route table and zod schemas. The openapi function
 * serves that file, so it carries no schema code; a test fails when the file is out of date.
 */
export const OPENAPI_FILE = join(import.meta.dirname, '..', '..', 'openapi.json');
export const renderOpenApi = () => `${JSON.stringify(openApiDocument(), null, 2)}\n`;

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  writeFileSync(OPENAPI_FILE, renderOpenApi());
  console.log(`wrote ${OPENAPI_FILE}`);
}
