import { isRecord } from '../document/plain-data.js';
import { ABSENT, mergeValue, type MergeContext, type MergePath } from './merge-data.js';

/**
 * Three-way merge of a list whose two sides both changed.
 *
 * Items are matched across base, ours and theirs by identity: a mapping with a string or number
 * `id` by that id (so an edited blocker is still the same blocker), anything else by its whole
 * value (deep equality). A value that occurs twice is two items (its 1st and 2nd occurrence).
 *
 * - An item removed on either side is removed, unless the other side edited it (an id item):
 *   then ours wins, reported as a conflict, like any other edit/remove clash.
 * - Items added on both sides are all kept, once each. An item appended after everything its
 *   side shares with the other goes to the end; any other is placed after the item that precedes
 *   it on its own side. Where both sides added at the same spot, theirs' (already on disk, so
 *   written first) come first, then ours'.
 * - Order: the file's (theirs') order, unless only ours reordered the items both kept. If both
 *   reordered them differently, ours' order wins and the clash is reported.
 */
export function mergeLists(path: MergePath, base: unknown[], ours: unknown[], theirs: unknown[], context: MergeContext): unknown[] {
  const b = keyed(base);
  const o = keyed(ours);
  const t = keyed(theirs);

  const values = new Map<string, unknown>();
  for (const key of [...t.keys(), ...o.keys()]) {
    if (values.has(key)) continue;
    const index = t.get(key)?.index ?? o.get(key)!.index;
    const value = mergeValue([...path, index], valueAt(b, key), valueAt(o, key), valueAt(t, key), context);
    if (value !== ABSENT) values.set(key, value);
  }

  const keptByAll = (side: Map<string, Indexed>) =>
    [...side.keys()].filter((key) => b.has(key) && o.has(key) && t.has(key) && values.has(key));
  const baseOrder = keptByAll(b);
  const oursOrder = keptByAll(o);
  const theirsOrder = keptByAll(t);
  const oursReordered = !sameOrder(oursOrder, baseOrder);
  const theirsReordered = !sameOrder(theirsOrder, baseOrder);
  const orderClash = oursReordered && theirsReordered && !sameOrder(oursOrder, theirsOrder);
  const oursLeads = oursReordered && (!theirsReordered || orderClash);

  const order = interleave(
    [...(oursLeads ? o : t).keys()].filter((key) => values.has(key)),
    [...(oursLeads ? t : o).keys()],
    (key) => b.has(key),
    (key) => values.has(key),
  );
  const result = order.map((key) => values.get(key));
  if (orderClash) {
    context.conflicts.push({ path, ours: [...ours], theirs: [...theirs], chosen: result });
  }
  return result;
}

interface Indexed {
  value: unknown;
  index: number;
}

/** A `null` item is a value, not an absence. */
function valueAt(side: Map<string, Indexed>, key: string): unknown {
  return side.has(key) ? side.get(key)!.value : ABSENT;
}

/** The list's items by identity, in list order. */
function keyed(list: unknown[]): Map<string, Indexed> {
  const seen = new Map<string, number>();
  const result = new Map<string, Indexed>();
  list.forEach((value, index) => {
    const identity = identityOf(value);
    const occurrence = (seen.get(identity) ?? 0) + 1;
    seen.set(identity, occurrence);
    result.set(`${identity}#${occurrence}`, { value, index });
  });
  return result;
}

function identityOf(item: unknown): string {
  if (isRecord(item) && Object.hasOwn(item, 'id') && (typeof item.id === 'string' || typeof item.id === 'number')) {
    return `id:${JSON.stringify(item.id)}`;
  }
  return `value:${canonicalJson(item)}`;
}

/** JSON with mapping keys sorted, so two equal values always give the same text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key])}`).join(',')}}`;
  }
  if (value === undefined) return 'null';
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  return JSON.stringify(value) ?? 'null';
}

/**
 * `leading` (already filtered to kept items) with the kept items of `following` that it lacks
 * inserted. An item that came after every shared item on its side (an append) goes to the end;
 * any other goes after the item that preceded it there, past the items added at that spot
 * before it, so both sides' additions at one spot stay together, `leading`'s first.
 */
function interleave(leading: string[], following: string[], inBase: (key: string) => boolean, kept: (key: string) => boolean): string[] {
  const result = [...leading];
  const placed = new Set(result);
  const shared = (key: string) => inBase(key) && placed.has(key);
  following.forEach((key, i) => {
    if (!kept(key) || placed.has(key)) return;
    let position = result.length;
    if (following.slice(i + 1).some(shared)) {
      position = 0;
      for (let j = i - 1; j >= 0; j -= 1) {
        const anchor = following[j]!;
        if (placed.has(anchor)) {
          position = result.indexOf(anchor) + 1;
          break;
        }
      }
      while (position < result.length && !inBase(result[position]!)) position += 1;
    }
    result.splice(position, 0, key);
    placed.add(key);
  });
  return result;
}

function sameOrder(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}
