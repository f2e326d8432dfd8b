import { ForbiddenError } from './errors.js';
import type { Actor, Role } from './model.js';

const ROLES: readonly Role[] = ['admin', 'viewer'];

export function requireAdmin(actor: Actor): void {
  if (!actor.roles.includes('admin')) {
    throw new ForbiddenError(
      'This action needs the admin role; your role can only read keys and audit events.',
    );
  }
}

/** A JSON array's items as strings, or undefined when the text is not a JSON array. */
function jsonArray(text: string): string[] | undefined {
  let parsed: unknown;
  // Stryker disable BlockStatement: an empty catch leaves parsed undefined, which the array check below turns into undefined as the catch does (Stryker reads no marker inside the statement, so this one covers the try block too)
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  // Stryker restore BlockStatement
  return Array.isArray(parsed) ? parsed.map(String) : undefined;
}

/**
 * API Gateway's JWT authorizer hands claims over as strings; an array claim arrives as "[a b]". Accept
 * that, a JSON array, or a space/comma separated list. Absent, or anything else, is no role.
 */
export function parseRoles(value: unknown): Role[] {
  const text = String(value).trim();
  const items = Array.isArray(value)
    ? value.map(String)
    : (jsonArray(text) ?? text.replace(/^\[|\]$/g, '').split(/[\s,]/));
  return ROLES.filter((role) => items.includes(role));
}
