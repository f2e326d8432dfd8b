/**
 * The one error taxonomy. A DomainError's message is written for the API caller and is safe to show;
 * it never contains a secret, a data key or a ciphertext. Anything that is not a DomainError becomes a
 * generic 500 at the HTTP edge.
 */
export class DomainError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends DomainError {
  constructor(message: string, details?: Record<string, unknown>) {
    super(400, 'invalid_request', message, details);
  }
}

export class UnauthorizedError extends DomainError {
  constructor(message = 'A valid bearer token is required.') {
    super(401, 'unauthorized', message);
  }
}

export class ForbiddenError extends DomainError {
  constructor(message = 'Your role does not allow this action; ask an account admin.') {
    super(403, 'forbidden', message);
  }
}

/** Missing and foreign resources answer alike, so ids of other accounts cannot be probed. */
export class NotFoundError extends DomainError {
  constructor(what: 'integration' | 'key', id: string) {
    super(404, `${what}_not_found`, `No ${what} with id ${id} exists in your account.`);
  }
}

export class KeyNoLongerViewableError extends DomainError {
  constructor(details: { reason: 'viewed' | 'created' | 'revoked'; viewedAt?: string; viewedBy?: string }) {
    super(410, 'key_no_longer_viewable', 'Key no longer viewable', details);
  }
}

export class ConflictError extends DomainError {
  constructor(code: string, message: string) {
    super(409, code, message);
  }
}

export class RateLimitedError extends DomainError {
  constructor(retryAfterSeconds: number, what = 'Too many requests') {
    super(429, 'rate_limited', `${what}; retry in ${retryAfterSeconds} s.`, { retryAfterSeconds });
  }
}

/** The two conflicts more than one place raises, each worded once. */
export const tooManyKeys = (max: number) =>
  new ConflictError(
    'too_many_keys',
    `This integration already has ${max} usable keys; revoke one before adding another.`,
  );
export const keyNotActive = () =>
  new ConflictError('key_not_active', 'Only an active key can be rotated; this one is expiring or revoked.');

/** A dependency (KMS, DynamoDB) failed or was busy before anything was committed: safe to retry. */
export class RetryableError extends DomainError {
  constructor(message = 'The service is briefly unavailable; nothing was changed. Retry the request.') {
    super(503, 'temporarily_unavailable', message);
  }
}

/**
 * A write may or may not have committed (its answer was lost and reading it back failed too). Retrying
 * is still safe: the retry finds the change if it committed.
 */
export class OutcomeUnknownError extends RetryableError {
  constructor() {
    super(
      'The service could not confirm the outcome in time. Retry the request: if the change was made, the retry shows it.',
    );
  }
}

/** A stored ciphertext failed its integrity or context check. Never shown to callers in detail. */
export class IntegrityError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IntegrityError';
  }
}
