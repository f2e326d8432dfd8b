/**
 * Every secret a run saw, searched for in every log line it produced, as text and in the encodings a
 * careless log line would use: hex, base64 and base64url of its bytes.
 */
export function findLeaks(output: string, secrets: string[], tokens: string[] = []): number {
  let found = 0;
  for (const secret of new Set(secrets)) {
    const bytes = Buffer.from(secret, 'utf8');
    const forms = [secret, bytes.toString('hex'), bytes.toString('base64'), bytes.toString('base64url')];
    if (forms.some((form) => output.includes(form))) found++;
  }
  for (const token of new Set(tokens)) if (output.includes(token)) found++;
  return found;
}
