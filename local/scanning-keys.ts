import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local runtime's stand-in for GitHub's secret-scanning keys: a P-256 key pair of its own, the public
 * half in GitHub's published format (SECRET_SCANNING_KEYS_FILE points the receiver at it), the private
 * half for signing reports the way GitHub does, in `sign`.
 */
export interface LocalScanningKeys {
  file: string;
  identifier: string;
  sign(body: string | Buffer): {
    'github-public-key-identifier': string;
    'github-public-key-signature': string;
  };
}

export function localScanningKeys(dir: string): LocalScanningKeys {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'secret-scanning-keys.json');
  const privateFile = join(dir, 'secret-scanning-private.pem');
  if (!existsSync(file) || !existsSync(privateFile)) {
    const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    const identifier = createHash('sha256').update(pem).digest('hex');
    writeFileSync(privateFile, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    writeFileSync(
      file,
      JSON.stringify({ public_keys: [{ key_identifier: identifier, key: pem, is_current: true }] }, null, 2),
    );
  }
  const list = JSON.parse(readFileSync(file, 'utf8')) as { public_keys: { key_identifier: string }[] };
  const identifier = list.public_keys[0]?.key_identifier ?? '';
  const privateKey = readFileSync(privateFile, 'utf8');
  return {
    file,
    identifier,
    sign: (body) => ({
      'github-public-key-identifier': identifier,
      'github-public-key-signature': sign('sha256', Buffer.from(body), {
        key: privateKey,
        dsaEncoding: 'der',
      }).toString('base64'),
    }),
  };
}
