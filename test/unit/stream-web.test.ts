import { ReadableStream as WebReadableStream } from 'node:stream/web';
import { describe, expect, it } from 'vitest';
import { ReadableStream } from '../../shared/runtime/stream-web.js';

describe('the node:stream/web stand-in bundled for @middy/core', () => {
  it('answers instanceof exactly as the real ReadableStream does', () => {
    expect(new WebReadableStream() instanceof ReadableStream).toBe(true);
    expect(new globalThis.ReadableStream() instanceof ReadableStream).toBe(true);
    for (const other of [{}, null, 'stream', new Uint8Array(1), { getReader() {} }]) {
      expect(other instanceof ReadableStream).toBe(false);
    }
  });
});
