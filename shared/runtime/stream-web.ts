/**
 * Bundled in place of `node:stream/web` (see infra/bundling.ts). @middy/core imports `ReadableStream`
 * from it at load only to test `instanceof ReadableStream` in response-streaming mode, which no function
 * here uses; loading the module costs every cold start ~4 ms. This class answers `instanceof` exactly as
 * the real one does, by deferring to the global `ReadableStream` when (if ever) it is asked.
 */
// biome-ignore lint/complexity/noStaticOnlyClass: it stands in for a class and is only used with instanceof.
export class ReadableStream {
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof globalThis.ReadableStream;
  }
}
