import { readFileSync } from 'node:fs';

/**
 * Loaded with `--import` into a local server a test starts (never into the product): moves the
 * process's clock by the milliseconds written in CLOCK_OFFSET_FILE, re-read as the test changes it, so
 * keys can be created "91 days ago" over HTTP. Only Date moves; timers and performance.now do not.
 */
const file = process.env.CLOCK_OFFSET_FILE;
if (file) {
  const RealDate = Date;
  let offset = 0;
  let checkedAt = 0;
  const now = () => {
    const real = RealDate.now();
    if (real - checkedAt > 5) {
      checkedAt = real;
      try {
        offset = Number(readFileSync(file, 'utf8')) || 0;
      } catch {
        offset = 0;
      }
    }
    return real + offset;
  };
  class ShiftedDate extends RealDate {
    constructor(...args: unknown[]) {
      if (args.length === 0) super(now());
      else super(...(args as [string]));
    }
    static override now() {
      return now();
    }
  }
  globalThis.Date = ShiftedDate as DateConstructor;
}
