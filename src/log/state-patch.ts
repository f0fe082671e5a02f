import { isDeepStrictEqual } from 'node:util';
import { createPatch, type Operation } from 'rfc6902';
import { diffAny, diffArrays } from 'rfc6902/diff.js';
import type { Pointer } from 'rfc6902/pointer.js';

/**
 * rfc6902's array diff is an edit distance over every pair of items: quadratic in the list's length,
 * and recursive to that depth. A state's lists only grow at their ends or change in a few places, so
 * the items both lists share at the start and the end are set aside first and only the middle is
 * diffed; a middle still too large to diff pair by pair is replaced whole.
 */
const MAX_PAIRS = 4096;

/** The RFC 6902 patch from `input` to `output`, rfc6902's own but for long lists. */
export function statePatch(input: unknown, output: unknown): Operation[] {
  return createPatch(input, output, diffLists);
}

function diffLists(input: unknown, output: unknown, ptr: Pointer): Operation[] | undefined {
  if (!Array.isArray(input) || !Array.isArray(output)) return undefined;
  let start = 0;
  const shortest = Math.min(input.length, output.length);
  while (start < shortest && isDeepStrictEqual(input[start], output[start])) start += 1;
  let end = 0;
  while (end < shortest - start && isDeepStrictEqual(input[input.length - 1 - end], output[output.length - 1 - end])) end += 1;
  const before = input.slice(start, input.length - end);
  const after = output.slice(start, output.length - end);
  if (before.length === 0 && after.length === 0) return [];
  if (before.length * after.length > MAX_PAIRS) return [{ op: 'replace', path: ptr.toString(), value: output }];
  const prefix = ptr.toString();
  let length = before.length;
  // The middle's operations name its own indexes: shift them by what was set aside at the start, and
  // give an append to the middle its real index when items follow it.
  return diffArrays(before, after, ptr, fullDiff).map((operation) => {
    const [token, ...rest] = operation.path.slice(prefix.length + 1).split('/');
    const index = token === '-' ? length : Number(token);
    if (operation.op === 'add' && rest.length === 0) length += 1;
    if (operation.op === 'remove' && rest.length === 0) length -= 1;
    const shifted = token === '-' && end === 0 ? '-' : String(index + start);
    return { ...operation, path: [prefix, shifted, ...rest].join('/') };
  });
}

function fullDiff(input: unknown, output: unknown, ptr: Pointer): Operation[] {
  return diffLists(input, output, ptr) ?? diffAny(input, output, ptr, fullDiff);
}
