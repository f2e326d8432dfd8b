import { createPublicKey, type KeyObject, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { RetryableError } from '../domain/errors.js';

/**
 * GitHub's secret-scanning public keys (`{ "public_keys": [ { "key_identifier", "key", "is_current" } ] }`),
 * from a file (the local runtime and the tests, with a key pair of their own) or from GitHub's URL,
 * cached and fetched again at most once a minute when a report names a key not yet known. A report is
 * accepted only with an ECDSA P-256 / SHA-256 signature over its raw body by one of them. When the list
 * cannot be read and the report's key is not known, the answer is "retry" (503): whether the signature
 * is GitHub's cannot be told, and GitHub sends the report again.
 */
export interface ScanningKeys {
  verify(body: Buffer, identifier: string, signatureBase64: string): Promise<boolean>;
}

type KeyList = { public_keys?: { key_identifier?: string; key?: string }[] };

function parse(list: KeyList): Map<string, KeyObject> {
  const keys = new Map<string, KeyObject>();
  for (const entry of list.public_keys ?? []) {
    if (!entry.key_identifier || !entry.key) continue;
    try {
      keys.set(entry.key_identifier, createPublicKey(entry.key));
    } catch {
      // a key that does not parse is no key
    }
  }
  return keys;
}

export function scanningKeys(source: { file?: string; url?: string }, refreshMs = 60_000): ScanningKeys {
  let keys = new Map<string, KeyObject>();
  let fetchedAt = Number.NEGATIVE_INFINITY;
  /** Whether the last attempt to read GitHub's list failed (no answer, an error status, not JSON). */
  let unreadable = false;
  /** Reads the list, unless it was read less than `refreshMs` ago. */
  async function refresh() {
    if (Date.now() - fetchedAt < refreshMs) return;
    fetchedAt = Date.now();
    if (source.file) keys = parse(JSON.parse(readFileSync(source.file, 'utf8')) as KeyList);
    else if (source.url) {
      try {
        const response = await fetch(source.url, { signal: AbortSignal.timeout(2_000) });
        if (response.ok) keys = parse((await response.json()) as KeyList);
        unreadable = !response.ok;
      } catch {
        unreadable = true;
      }
    }
  }
  return {
    async verify(body, identifier, signatureBase64) {
      // The first report reads the list; one naming a key not in it reads it again (GitHub rotated).
      if (!keys.has(identifier)) await refresh();
      const key = keys.get(identifier);
      if (!key && unreadable) {
        throw new RetryableError(
          "GitHub's secret-scanning keys could not be read to check the report's signature. Retry it.",
        );
      }
      if (!key || !/^[A-Za-z0-9+/]+={0,2}$/.test(signatureBase64)) return false;
      try {
        return verify('sha256', body, { key, dsaEncoding: 'der' }, Buffer.from(signatureBase64, 'base64'));
      } catch {
        return false;
      }
    },
  };
}
