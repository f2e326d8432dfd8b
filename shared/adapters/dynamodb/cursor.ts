import { ValidationError } from '../../domain/errors.js';

/**
 * The one cursor codec: an opaque base64url token that carries a single position string (a sort key,
 * an event id). The partition always comes from the caller, never from the cursor, and a decoded
 * position must pass the list's own check, so a forged cursor cannot reach another tenant's items.
 */
export function encodeCursor(position: string): string {
  return Buffer.from(JSON.stringify({ at: position })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined, valid: (position: string) => boolean) {
  if (cursor === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    const at = (parsed as { at?: unknown } | null)?.at;
    if (typeof at === 'string' && valid(at)) return at;
  } catch {
    // fall through to the validation error
  }
  throw new ValidationError('cursor: not a cursor this list returned; start again without it.');
}
