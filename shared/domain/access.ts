import { ForbiddenError } from './errors.js';
import type { Actor } from './model.js';

export function requireAdmin(actor: Actor): void {
  if (!actor.roles.includes('admin')) {
    throw new ForbiddenError(
      'This action needs the admin role; your role can only read keys and audit events.',
    );
  }
}
