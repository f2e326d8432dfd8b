/**
 * Published us-east-1 list prices used to turn measured counts into dollars. Check them against the AWS
 * pricing pages when you change them, and update the date (the README's cost table quotes this file).
 */
export const PRICES = {
  checkedOn: '2026-12-01',
  region: 'us-east-1',
  lambdaArmPerGbSecond: 0.0000133334,
  lambdaPerRequest: 0.2 / 1e6,
  httpApiPerRequest: 1.0 / 1e6, // first 300 million requests a month
  dynamoDbPerReadUnit: 0.125 / 1e6, // on-demand read request unit
  dynamoDbPerWriteUnit: 0.625 / 1e6, // on-demand write request unit
  kmsPerRequest: 0.03 / 1e4,
} as const;
