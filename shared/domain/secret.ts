import { randomBytes } from 'node:crypto';

/**
 * Secret format: `ssk_` + 43 base62 characters (256 bits from the OS CSPRNG) + a 6-character base62
 * CRC32 of the body. The checksum lets scanners and clients reject a mistyped or random string offline
 * (GitHub's token format does the same); it adds no secrecy.
 */
export const SECRET_PREFIX = 'ssk_';
const ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const BODY_LENGTH = 43; // ceil(256 / log2(62))
const CHECKSUM_LENGTH = 6; // ceil(32 / log2(62))
const SECRET_PATTERN = new RegExp(`^${SECRET_PREFIX}[0-9A-Za-z]{${BODY_LENGTH + CHECKSUM_LENGTH}}$`);

export function toBase62(value: bigint, width: number): string {
  let out = '';
  let rest = value;
  while (rest > 0n) {
    out = ALPHABET[Number(rest % 62n)] + out;
    rest /= 62n;
  }
  return out.padStart(width, '0');
}

export function randomBase62(bytes: number, width: number): string {
  const buffer = randomBytes(bytes);
  const value = BigInt(`0x${buffer.toString('hex')}`);
  buffer.fill(0);
  return toBase62(value, width);
}

/**
 * CRC-32 (IEEE 802.3, as zlib computes it) of the body's bytes, bit by bit: written here rather than taken
 * from node:zlib, whose load alone costs every function 2 ms of cold start. A secret's body is 43 bytes, so
 * a lookup table would save nothing worth its memory.
 */
export function crc32(text: string): number {
  let crc = 0xffffffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function checksum(body: string): string {
  return toBase62(BigInt(crc32(body)), CHECKSUM_LENGTH);
}

export function generateSecret(): string {
  const body = randomBase62(32, BODY_LENGTH);
  return `${SECRET_PREFIX}${body}${checksum(body)}`;
}

/** True when the string has the secret's shape and its checksum matches. Says nothing about validity. */
export function isWellFormedSecret(candidate: string): boolean {
  if (!SECRET_PATTERN.test(candidate)) return false;
  const body = candidate.slice(SECRET_PREFIX.length, SECRET_PREFIX.length + BODY_LENGTH);
  return checksum(body) === candidate.slice(SECRET_PREFIX.length + BODY_LENGTH);
}

/** The only part of a secret ever shown after its one display: the prefix and the last four characters. */
export function secretHint(secret: string): string {
  return `${SECRET_PREFIX}…${secret.slice(-4)}`;
}
