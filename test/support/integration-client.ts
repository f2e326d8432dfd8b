import { createHmac } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

/**
 * The headers an integration sends to `POST /v1/signature-check` (or any inbound route it signs), made
 * here independently of the product's code: the timestamped form, `<ts>\n<METHOD>\n<path>\n<body>`.
 */
export function signedHeaders(options: {
  secret: string;
  apiKey: string;
  body: string;
  path?: string;
  method?: string;
  at?: number;
}): Record<string, string> {
  const ts = String(Math.floor((options.at ?? Date.now()) / 1000));
  const content = `${ts}\n${options.method ?? 'POST'}\n${options.path ?? '/v1/signature-check'}\n${options.body}`;
  return {
    'x-auth-client': options.apiKey,
    'x-hmac-signature': createHmac('sha256', options.secret).update(content).digest('hex'),
    'x-auth-timestamp': ts,
    'content-type': 'application/json',
  };
}

/** One JSON object a line, as the local outbox (`.local/outbox.jsonl`) and its peers are written. */
export function readJsonLines<T>(file: string): T[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);
}
