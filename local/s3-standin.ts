import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * S3 as far as the audit anchors use it, on 127.0.0.1, path-style: `PutObject`, `GetObject` and
 * `ListObjectsV2`, so the real `@aws-sdk/client-s3` code path runs locally. The bucket behaves as the
 * deployed one does under Object Lock in compliance mode: a PUT never replaces what is stored (S3 keeps
 * it as an older version; here the first version is the one read back, and a second PUT of a key is
 * refused), and DELETE is refused. Objects live in memory for the life of `npm start`.
 */
export interface S3StandIn {
  endpoint: string;
  bucket: string;
  close(): Promise<void>;
}

const xml = (value: string) =>
  value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** The SDK may send a body as aws-chunked (size;ext CRLF data CRLF … 0 CRLF trailers): its data only. */
function unchunk(body: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const end = body.indexOf('\r\n', at);
    if (end < 0) break;
    const size = Number.parseInt(body.subarray(at, end).toString('latin1').split(';')[0] ?? '', 16);
    if (!Number.isFinite(size) || size === 0) break;
    parts.push(body.subarray(end + 2, end + 2 + size));
    at = end + 2 + size + 2;
  }
  return Buffer.concat(parts);
}

function error(res: ServerResponse, status: number, code: string, message: string) {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(
    `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${xml(message)}</Message></Error>`,
  );
}

export async function startS3StandIn(options: { bucket: string; port?: number }): Promise<S3StandIn> {
  const objects = new Map<string, { body: Buffer; etag: string; modified: string; type: string }>();

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = decodeURIComponent(rest.join('/'));
    if (bucket !== options.bucket)
      return error(res, 404, 'NoSuchBucket', 'The specified bucket does not exist');
    if (req.method === 'PUT' && key) {
      const raw = await readBody(req);
      const body = String(req.headers['content-encoding'] ?? '').includes('aws-chunked') ? unchunk(raw) : raw;
      if (objects.has(key)) {
        return error(
          res,
          403,
          'AccessDenied',
          'Object Lock (compliance mode): the object cannot be overwritten',
        );
      }
      const etag = `"${createHash('md5').update(body).digest('hex')}"`;
      // S3 keeps the Content-Type the object was put with, and answers binary/octet-stream without one.
      const type = String(req.headers['content-type'] ?? 'binary/octet-stream');
      objects.set(key, { body, etag, modified: new Date().toISOString(), type });
      res.writeHead(200, { etag, 'x-amz-version-id': '1' });
      return res.end();
    }
    if (req.method === 'GET' && !key && url.searchParams.get('list-type') === '2') {
      const prefix = url.searchParams.get('prefix') ?? '';
      const max = Number(url.searchParams.get('max-keys') ?? 1000);
      const matching = [...objects.keys()].filter((name) => name.startsWith(prefix)).sort();
      const page = matching.slice(0, max);
      const contents = page
        .map((name) => {
          const object = objects.get(name);
          return `<Contents><Key>${xml(name)}</Key><LastModified>${object?.modified}</LastModified><ETag>${xml(object?.etag ?? '')}</ETag><Size>${object?.body.length}</Size><StorageClass>STANDARD</StorageClass></Contents>`;
        })
        .join('');
      res.writeHead(200, { 'content-type': 'application/xml' });
      return res.end(
        `<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>${xml(bucket)}</Name><Prefix>${xml(prefix)}</Prefix><KeyCount>${page.length}</KeyCount><MaxKeys>${max}</MaxKeys><IsTruncated>${matching.length > page.length}</IsTruncated>${contents}</ListBucketResult>`,
      );
    }
    if (req.method === 'GET' && key) {
      const object = objects.get(key);
      if (!object) return error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'content-type': object.type,
        'content-length': object.body.length,
        etag: object.etag,
        'last-modified': new Date(object.modified).toUTCString(),
      });
      return res.end(object.body);
    }
    if (req.method === 'DELETE') {
      return error(res, 403, 'AccessDenied', 'Object Lock (compliance mode): the object cannot be deleted');
    }
    return error(res, 405, 'MethodNotAllowed', 'Not supported by the local S3 stand-in');
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((cause: unknown) => error(res, 500, 'InternalError', String(cause)));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    bucket: options.bucket,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
