/**
 * The dashboard's response headers, one source for the local server and CloudFront's response headers
 * policy: a strict CSP (no inline script or style, no framing), HSTS, no referrer.
 */
export function contentSecurityPolicy(connect: string[]): string {
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${["'self'", ...connect].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "object-src 'none'",
  ].join('; ');
}

export const HSTS_SECONDS = 2 * 365 * 86_400;
export const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=()';

export function dashboardHeaders(connect: string[]): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(connect),
    'strict-transport-security': `max-age=${HSTS_SECONDS}; includeSubDomains`,
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'permissions-policy': PERMISSIONS_POLICY,
    'cross-origin-opener-policy': 'same-origin',
  };
}
