import { publicApi } from '../shared/http/api.js';

export const handler = publicApi(async () => ({ statusCode: 200, body: { status: 'ok' } }));
