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

/**
 * API Gateway's JWT authorizer hands claims over as strings; an array claim arrives as "[a b]". Accept
 * that, a JSON array, or a space/comma separated list.
 */
export function parseRoles(value: unknown): Role[] {
  if (value === undefined || value === null) return [];
  let items: string[];
  if (Array.isArray(value)) {
    items = value.map(String);
  } else {
    const text = String(value).trim();
    try {
      const parsed: unknown = JSON.parse(text);
      items = Array.isArray(parsed) ? parsed.map(String) : [text];
    } catch {
      items = text.replace(/^\[|\]$/g, '').split(/[\s,]+/);
    }
  }
  return ROLES.filter((role) => items.includes(role));
}
