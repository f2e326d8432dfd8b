import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { localScanningKeys } from '../../local/scanning-keys.js';
import { scanningKeys } from '../../shared/http/scanning-keys.js';

/** GitHub's secret-scanning signatures: which reports pass, and when the key list is read again. */
const pair = () => localScanningKeys(mkdtempSync(join(tmpdir(), 'ssk-scan-')));
const body = Buffer.from('[{"token":"t","type":"x"}]');
const signed = (keys: ReturnType<typeof pair>, text: Buffer = body) => {
  const headers = keys.sign(text);
  return [headers['github-public-key-identifier'], headers['github-public-key-signature']] as const;
};

describe('secret-scanning signatures', () => {
  it('pass only over the exact body, by a listed key, as plain base64 DER', async () => {
    const github = pair();
    const keys = scanningKeys({ file: github.file });
    const [identifier, signature] = signed(github);
    expect(await keys.verify(body, identifier, signature)).toBe(true);
    expect(await keys.verify(Buffer.from(`${body} `), identifier, signature)).toBe(false);
    expect(await keys.verify(body, 'unknown', signature)).toBe(false);
    expect(await keys.verify(body, identifier, `!${signature}`)).toBe(false);
    expect(await keys.verify(body, identifier, `${signature}!`)).toBe(false);
    expect(await keys.verify(body, identifier, 'AAAA')).toBe(false);
    expect(await keys.verify(body, identifier, '')).toBe(false);
  });

  it('skip list entries without an identifier, without a key, or whose key does not parse', async () => {
    const github = pair();
    const list = JSON.parse(readFileSync(github.file, 'utf8')) as { public_keys: Record<string, unknown>[] };
    const [good] = list.public_keys;
    writeFileSync(
      github.file,
      JSON.stringify({
        public_keys: [
          { key: good?.key },
          { key_identifier: 'no-key' },
          { key_identifier: 'bad', key: 'x' },
          good,
        ],
      }),
    );
    const [identifier, signature] = signed(github);
    expect(await scanningKeys({ file: github.file }).verify(body, identifier, signature)).toBe(true);
  });

  it('read the list once; a report naming an unknown key reads it again, at most once per period', async () => {
    const github = pair();
    const rotated = pair();
    const [identifier, signature] = signed(rotated);
    const cached = scanningKeys({ file: github.file }, 60_000);
    const eager = scanningKeys({ file: github.file }, 0);
    expect(await cached.verify(body, ...signed(github))).toBe(true);
    expect(await eager.verify(body, ...signed(github))).toBe(true);
    // GitHub publishes a new key.
    writeFileSync(github.file, readFileSync(rotated.file));
    expect(await eager.verify(body, identifier, signature)).toBe(true);
    expect(await cached.verify(body, identifier, signature)).toBe(false);
    // A known key does not make it read the list again: the old key still passes on the cached list.
    expect(await cached.verify(body, ...signed(github))).toBe(true);
    const other = pair();
    writeFileSync(github.file, readFileSync(other.file));
    expect(await eager.verify(body, identifier, signature)).toBe(true);
  });

  it('read the list again once a whole period has passed since the last read, not before', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      vi.setSystemTime(new Date('2026-12-01T00:00:00.000Z'));
      const github = pair();
      const rotated = pair();
      const keys = scanningKeys({ file: github.file }, 60_000);
      expect(await keys.verify(body, ...signed(github))).toBe(true);
      writeFileSync(github.file, readFileSync(rotated.file));
      vi.setSystemTime(new Date('2026-12-01T00:00:59.999Z'));
      expect(await keys.verify(body, ...signed(rotated))).toBe(false);
      vi.setSystemTime(new Date('2026-12-01T00:01:00.000Z'));
      expect(await keys.verify(body, ...signed(rotated))).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('a listed key of another type (not ECDSA) verifies nothing', async () => {
    const github = pair();
    const { publicKey, privateKey } = generateKeyPairSync('ed25519');
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    writeFileSync(github.file, JSON.stringify({ public_keys: [{ key_identifier: 'ed', key: pem }] }));
    const signature = sign(null, body, privateKey).toString('base64');
    expect(await scanningKeys({ file: github.file }).verify(body, 'ed', signature)).toBe(false);
  });

  it('from a URL: the list GitHub serves; a report by a key not known while it cannot be read is "retry"', async () => {
    const github = pair();
    const rotated = pair();
    let status = 200;
    let served = github.file;
    const server = createServer((_, response) => {
      if (status === 0) return; // an answer that never comes
      response.writeHead(status, { 'content-type': 'application/json' });
      // Even a failed answer carries a list here: only a successful one may be read.
      response.end(status === 299 ? '{"public_keys":' : readFileSync(served));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/meta/public_keys/secret_scanning`;
    const retry = {
      statusCode: 503,
      code: 'temporarily_unavailable',
      message: "GitHub's secret-scanning keys could not be read to check the report's signature. Retry it.",
    };
    try {
      const keys = scanningKeys({ url }, 0);
      expect(await keys.verify(body, ...signed(github))).toBe(true);
      expect(await keys.verify(body, ...signed(rotated))).toBe(false);
      expect(await scanningKeys({}).verify(body, ...signed(github))).toBe(false);
      for (const failing of [503, 404, 299]) {
        status = failing;
        await expect(scanningKeys({ url }).verify(body, ...signed(github))).rejects.toMatchObject(retry);
        // A key already known still passes: only a report by an unknown key waits for the list.
        expect(await keys.verify(body, ...signed(github))).toBe(true);
        await expect(keys.verify(body, ...signed(rotated))).rejects.toMatchObject(retry);
      }
      // An answer that never comes is given up after 2 s.
      status = 0;
      await expect(scanningKeys({ url }).verify(body, ...signed(github))).rejects.toMatchObject(retry);
      // GitHub answers again, with its rotated list.
      status = 200;
      served = rotated.file;
      expect(await keys.verify(body, ...signed(rotated))).toBe(true);
      expect(await keys.verify(body, ...signed(github))).toBe(false);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
