import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type S3StandIn, startS3StandIn } from '../../local/s3-standin.js';
import { createS3Client } from '../../shared/adapters/clients.js';
import { anchorKey, createS3AnchorStore } from '../../shared/adapters/s3-anchors.js';
import type { Anchor } from '../../shared/domain/audit-chain.js';
import { IntegrityError, RetryableError } from '../../shared/domain/errors.js';

/** The audit anchors in S3 (the stand-in speaks S3's REST protocol to the real client). */
let s3: S3StandIn;
let client: ReturnType<typeof createS3Client>;
beforeAll(async () => {
  s3 = await startS3StandIn({ bucket: 'anchors' });
  client = createS3Client({
    region: 'us-east-1',
    endpoint: s3.endpoint,
    credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
  });
});
afterAll(async () => {
  client.destroy();
  await s3.close();
});

const anchor = (integrationId: string, at: string): Anchor => ({
  accountId: 'acme/x',
  integrationId,
  at,
  head: 'h'.repeat(64),
  items: { integration: 'a'.repeat(64) },
});

describe('audit anchors in S3', () => {
  it('are keyed by trail, newest first in S3’s ascending order', () => {
    expect(anchorKey(anchor('int_1', '1970-01-01T00:00:00.001Z'))).toBe(
      'anchors/acme%2Fx/int_1/9999999999998.json',
    );
    const older = anchorKey(anchor('int_1', '2026-12-01T00:00:00.000Z'));
    const newer = anchorKey(anchor('int_1', '2026-12-02T00:00:00.000Z'));
    expect([older, newer].sort()).toEqual([newer, older]);
    expect(older).toMatch(/^anchors\/acme%2Fx\/int_1\/\d{13}\.json$/);
  });

  it('the latest of a trail is the newest one put, and only its own trail’s', async () => {
    const store = createS3AnchorStore({ client, bucket: 'anchors' });
    await store.put(anchor('int_2', '2026-12-01T00:00:00.000Z'));
    await store.put(anchor('int_2', '2026-12-03T00:00:00.000Z'));
    await store.put(anchor('int_2', '2026-12-02T00:00:00.000Z'));
    await store.put(anchor('int_20', '2026-12-04T00:00:00.000Z'));
    expect((await store.latest('acme/x', 'int_2'))?.at).toBe('2026-12-03T00:00:00.000Z');
    expect(await store.latest('acme/x', 'int_3')).toBeUndefined();
    const stored = await client.send(
      new GetObjectCommand({
        Bucket: 'anchors',
        Key: anchorKey(anchor('int_2', '2026-12-03T00:00:00.000Z')),
      }),
    );
    expect(stored.ContentType).toBe('application/json');
  });

  it('an anchor that names another trail than its key, or is not JSON, is an integrity failure', async () => {
    const store = createS3AnchorStore({ client, bucket: 'anchors' });
    const put = (key: string, body: string) =>
      client.send(new PutObjectCommand({ Bucket: 'anchors', Key: key, Body: body }));
    const misplaced = anchor('int_4', '2026-12-01T00:00:00.000Z');
    await put(anchorKey(misplaced), JSON.stringify({ ...misplaced, integrationId: 'int_other' }));
    await expect(store.latest('acme/x', 'int_4')).rejects.toThrow(
      new IntegrityError('An audit anchor names another trail than its key'),
    );
    const otherAccount = anchor('int_5', '2026-12-01T00:00:00.000Z');
    await put(anchorKey(otherAccount), JSON.stringify({ ...otherAccount, accountId: 'evil' }));
    await expect(store.latest('acme/x', 'int_5')).rejects.toBeInstanceOf(IntegrityError);
    const broken = anchor('int_6', '2026-12-01T00:00:00.000Z');
    await put(anchorKey(broken), '{"accountId":');
    await expect(store.latest('acme/x', 'int_6')).rejects.toThrow(
      new IntegrityError('An audit anchor is not valid JSON'),
    );
  });

  it('an S3 it cannot reach is a 503 that says a retry is safe, not an anchor missing', async () => {
    const unreachable = createS3Client({
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      maxAttempts: 1,
    });
    const store = createS3AnchorStore({ client: unreachable, bucket: 'anchors' });
    await expect(store.put(anchor('int_7', '2026-12-01T00:00:00.000Z'))).rejects.toBeInstanceOf(
      RetryableError,
    );
    await expect(store.latest('acme/x', 'int_7')).rejects.toBeInstanceOf(RetryableError);
    unreachable.destroy();
  });
});
