/**
 * A list answer. The admin API's list routes answer either a bare array or an object holding the array
 * under a collection name (with `next_cursor` when paginated); `listItems` reads both.
 */
export type AdminList<T> = T[] | { next_cursor?: string | null; [collection: string]: unknown };

/** The items of a list answer: the array itself, or the first array-valued field of the object. */
export function listItems<T>(list: AdminList<T> | null | undefined): T[] {
  if (Array.isArray(list)) return list;
  if (!list || typeof list !== 'object') return [];
  const collection = Object.values(list).find((value) => Array.isArray(value));
  return (collection ?? []) as T[];
}
