/**
 * Items newest first by their ids, which sort by creation (ids.ts). Ids are unique, so the order is
 * total; the plain string sort compares code units, as `<` does, and no comparator is written out.
 */
export function newestFirst<T extends { id: string }>(items: readonly T[]): T[] {
  const byId = new Map(items.map((item) => [item.id, item]));
  return [...byId.keys()]
    .sort()
    .reverse()
    .flatMap((id) => byId.get(id) ?? []);
}
