/**
 * Items in ascending order of a key that is unique among them (ids, item names), compared by code unit
 * as `<` compares strings. The plain string sort does the ordering, so no comparator is written out;
 * items sharing a key would collapse to one, hence "unique".
 */
export function ascendingBy<T>(items: readonly T[], keyOf: (item: T) => string): T[] {
  const byKey = new Map(items.map((item) => [keyOf(item), item]));
  return [...byKey.keys()].sort().flatMap((key) => byKey.get(key) ?? []);
}

/** Items newest first by their ids, which sort by creation (ids.ts). */
export const newestFirst = <T extends { id: string }>(items: readonly T[]): T[] =>
  ascendingBy(items, (item) => item.id).reverse();
