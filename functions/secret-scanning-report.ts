import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { DomainError, UnauthorizedError, ValidationError } from '../shared/domain/errors.js';
import { handleLeakReports } from '../shared/domain/leaks.js';
import { apiPolicy, json } from '../shared/http/api.js';
import { lambdaHandler } from '../shared/http/handler.js';
import { describeIssues } from '../shared/http/issues.js';
import { LeakReportBody } from '../shared/http/schemas.js';
import { secretScanningKeys, serviceDeps } from '../shared/wiring.js';

const deps = serviceDeps();
const keys = secretScanningKeys();
/** A report is a few matches; GitHub batches at most a few hundred. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * POST /v1/secret-scanning/reports: GitHub's secret-scanning partner alerts. The raw body's ECDSA
 * signature is verified against GitHub's published keys before anything is read; each token of ours
 * gets the account's leak policy. The answer labels each token by its SHA-256 (never the token), and
 * never says whose it is.
 */
export const handler = lambdaHandler<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>((chain) =>
  chain.use(apiPolicy()).handler(async (event, context) => {
    const raw = Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
    if (raw.length > MAX_BODY_BYTES)
      throw new DomainError(413, 'payload_too_large', 'A report is at most 64 KiB.');
    const identifier = event.headers['github-public-key-identifier'];
    const signature = event.headers['github-public-key-signature'];
    if (!identifier || !signature || !(await keys.verify(raw, identifier, signature))) {
      throw new UnauthorizedError(
        'The report must be signed by GitHub (Github-Public-Key-Identifier and -Signature).',
      );
    }
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      throw new ValidationError('body: not valid JSON.');
    }
    const reports = z.safeParse(LeakReportBody, body);
    if (!reports.success) throw new ValidationError(describeIssues('body', reports.error.issues));
    return json(200, await handleLeakReports(deps, reports.data, context.awsRequestId));
  }),
);
