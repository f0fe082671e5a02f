/**
 * Where two versions of a text differ, as hunks of lines (Myers' O(ND) shortest edit script, after
 * trimming the common prefix and suffix: the two texts here differ in a few places of a long file).
 * Between hunks the lines are equal and aligned one to one.
 */

export interface Hunk {
  /** Lines [aStart, aEnd) of `a` are replaced by lines [bStart, bEnd) of `b`; either may be empty. */
  aStart: number;
  aEnd: number;
  bStart: number;
  bEnd: number;
}

export function diffHunks(a: readonly string[], b: readonly string[]): Hunk[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix += 1;
  const matches = matchingLines(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix));

  const hunks: Hunk[] = [];
  let i = 0;
  let j = 0;
  // A sentinel match at the end closes the last hunk.
  for (const [x, y] of [...matches, [a.length - suffix - prefix, b.length - suffix - prefix] as const]) {
    if (x > i || y > j) hunks.push({ aStart: prefix + i, aEnd: prefix + x, bStart: prefix + j, bEnd: prefix + y });
    i = x + 1;
    j = y + 1;
  }
  return hunks;
}

/** Pairs [i, j] with a[i] === b[j] on one longest common subsequence, in order. */
function matchingLines(a: readonly string[], b: readonly string[]): Array<readonly [number, number]> {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  if (max === 0) return [];
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let done = false;
  for (let d = 0; d <= max && !done; d += 1) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      const down = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!);
      let x = down ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x += 1;
        y += 1;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        done = true;
        break;
      }
    }
  }
  // Walk the trace back from the end, collecting the diagonal (matching) steps.
  const pairs: Array<readonly [number, number]> = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0 && (x > 0 || y > 0); d -= 1) {
    const before = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && before[offset + k - 1]! < before[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : before[offset + prevK]!;
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      pairs.push([x, y]);
    }
    x = prevX;
    y = prevY;
  }
  return pairs.reverse();
}
