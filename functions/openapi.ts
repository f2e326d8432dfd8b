import { publicApi } from '../shared/http/api.js';
import { openApiDocument } from '../shared/http/openapi.js';

const document = openApiDocument();

export const handler = publicApi(async () => ({ statusCode: 200, body: document }));
