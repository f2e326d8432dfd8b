import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { Anchor } from '../domain/audit-chain.js';
import type { AnchorStore } from '../domain/audit-trail.js';
import { IntegrityError, RetryableError } from '../domain/errors.js';
import { isRetryableAwsError } from './aws-errors.js';

/** Far enough ahead that every anchor's key sorts before the previous one's (until the year 2286). */
const LATEST_FIRST = 9_999_999_999_999;

/**
 * The object key of an anchor: its trail's prefix, then the time counted down, so that S3's ascending
 * listing returns the newest anchor first and one `MaxKeys: 1` list finds it.
 */
export const anchorPrefix = (accountId: string, integrationId: string) =>
  `anchors/${encodeURIComponent(accountId)}/${encodeURIComponent(integrationId)}/`;
/** The time counted down, in 13 digits (which it has from 2001 to 2286 without the padding). */
const countdown = (at: string) =>
  // Stryker disable next-line StringLiteral: the padding is there for dates outside 2001–2286, which no anchor has
  String(LATEST_FIRST - Date.parse(at)).padStart(13, '0');
export const anchorKey = (anchor: Pick<Anchor, 'accountId' | 'integrationId' | 'at'>) =>
  `${anchorPrefix(anchor.accountId, anchor.integrationId)}${countdown(anchor.at)}.json`;

/**
 * Anchors in an S3 bucket with Object Lock in compliance mode (infra/stateful-stack.ts): each PUT is a
 * new object version that nobody, the account's root included, can delete or overwrite until its
 * retention ends. So a table writer who rewrites a chain and its head cannot rewrite the anchor too.
 */
export function createS3AnchorStore({ client, bucket }: { client: S3Client; bucket: string }): AnchorStore {
  const failure = (error: unknown) => (isRetryableAwsError(error) ? new RetryableError() : error);
  return {
    async put(anchor) {
      await client
        .send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: anchorKey(anchor),
            Body: JSON.stringify(anchor),
            ContentType: 'application/json',
            ChecksumAlgorithm: 'SHA256',
          }),
        )
        .catch((error: unknown) => {
          throw failure(error);
        });
    },

    async latest(accountId, integrationId) {
      try {
        const listed = await client.send(
          new ListObjectsV2Command({
            Bucket: bucket,
            Prefix: anchorPrefix(accountId, integrationId),
            MaxKeys: 1,
          }),
        );
        const key = listed.Contents?.[0]?.Key;
        if (!key) return undefined;
        const object = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
        const anchor = JSON.parse((await object.Body?.transformToString('utf8')) ?? '') as Anchor;
        if (anchor.accountId !== accountId || anchor.integrationId !== integrationId) {
          throw new IntegrityError('An audit anchor names another trail than its key');
        }
        return anchor;
      } catch (error) {
        if (error instanceof SyntaxError) throw new IntegrityError('An audit anchor is not valid JSON');
        throw failure(error);
      }
    },
  };
}
