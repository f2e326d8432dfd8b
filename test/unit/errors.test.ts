import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  DomainError,
  ForbiddenError,
  IntegrityError,
  KeyNoLongerViewableError,
  keyNotActive,
  NotFoundError,
  OutcomeUnknownError,
  RateLimitedError,
  RetryableError,
  tooManyKeys,
  UnauthorizedError,
  ValidationError,
} from '../../shared/domain/errors.js';

/**
 * The error taxonomy the HTTP edge maps to `{ error: { code, message } }`: each error's status, code,
 * and a message that says what to do. The mapping itself is in http.test.ts and error-mapping.test.ts.
 */
describe('domain errors', () => {
  it.each([
    [
      () => new ValidationError('name: required', { field: 'name' }),
      400,
      'invalid_request',
      'name: required',
    ],
    [() => new UnauthorizedError(), 401, 'unauthorized', 'A valid bearer token is required.'],
    [() => new UnauthorizedError('The token has expired.'), 401, 'unauthorized', 'The token has expired.'],
    [
      () => new ForbiddenError(),
      403,
      'forbidden',
      'Your role does not allow this action; ask an account admin.',
    ],
    [
      () => new NotFoundError('key', 'key_1'),
      404,
      'key_not_found',
      'No key with id key_1 exists in your account.',
    ],
    [
      () => new NotFoundError('integration', 'int_1'),
      404,
      'integration_not_found',
      'No integration with id int_1 exists in your account.',
    ],
    [
      () => new KeyNoLongerViewableError({ reason: 'created' }),
      410,
      'key_no_longer_viewable',
      'Key no longer viewable',
    ],
    [() => new ConflictError('busy', 'Try later.'), 409, 'busy', 'Try later.'],
    [() => new RateLimitedError(3), 429, 'rate_limited', 'Too many requests; retry in 3 s.'],
    [
      () => new RateLimitedError(1, 'Too many lookups'),
      429,
      'rate_limited',
      'Too many lookups; retry in 1 s.',
    ],
    [
      () => tooManyKeys(10),
      409,
      'too_many_keys',
      'This integration already has 10 usable keys; revoke one before adding another.',
    ],
    [
      () => keyNotActive(),
      409,
      'key_not_active',
      'Only an active key can be rotated; this one is expiring or revoked.',
    ],
    [
      () => new RetryableError(),
      503,
      'temporarily_unavailable',
      'The service is briefly unavailable; nothing was changed. Retry the request.',
    ],
  ])('%#: %i %s', (make, statusCode, code, message) => {
    // Made inside the test, so mutation testing's per-test coverage sees the constructor run here.
    const error = make();
    expect(error).toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ statusCode, code, message, name: error.constructor.name });
  });

  it('details travel with the error: the field, the reveal, when to retry', () => {
    expect(new ValidationError('x', { field: 'name' }).details).toStrictEqual({ field: 'name' });
    expect(new KeyNoLongerViewableError({ reason: 'viewed', viewedBy: 'bob' }).details).toStrictEqual({
      reason: 'viewed',
      viewedBy: 'bob',
    });
    expect(new RateLimitedError(7).details).toStrictEqual({ retryAfterSeconds: 7 });
    expect(new ForbiddenError().details).toBeUndefined();
  });

  it('an unknown outcome is retryable, and says the retry shows a change that was made', () => {
    const error = new OutcomeUnknownError();
    expect(error).toBeInstanceOf(RetryableError);
    expect(error).toMatchObject({
      statusCode: 503,
      code: 'temporarily_unavailable',
      name: 'OutcomeUnknownError',
    });
    expect(error.message).toBe(
      'The service could not confirm the outcome in time. Retry the request: if the change was made, the retry shows it.',
    );
  });

  it('an integrity failure is no domain error: it never reaches a caller in detail', () => {
    const error = new IntegrityError('display copy failed its context check');
    expect(error).not.toBeInstanceOf(DomainError);
    expect(error).toMatchObject({ name: 'IntegrityError', message: 'display copy failed its context check' });
  });
});
