/**
 * A unified diff of two texts (what `--dry-run` prints), computed here with Myers' O(ND) algorithm
 * so a preview needs no temp files and no extra process. Output matches `diff -u`: `---`/`+++`
 * headers, `@@ -a,b +c,d @@` hunks with `context` lines around each change, and
 * `\ No newline at end of file` where it applies. Equal texts give an empty string.
 */

type Op = { kind: ' ' | '-' | '+'; line: string; a: number; b: number };

export interface DiffLabels {
  from: string;
  to: string;
  context?: number;
}

export function unifiedDiff(before: string, after: string, labels: DiffLabels): string {
  if (before === after) return '';
  const a = splitLines(before);
  const b = splitLines(after);
  const ops = diffLines(a, b);
  const hunks = groupHunks(ops, labels.context ?? 3);
  const out = [`--- ${labels.from}`, `+++ ${labels.to}`];
  for (const hunk of hunks) {
    const first = hunk[0]!;
    const aCount = hunk.filter((op) => op.kind !== '+').length;
    const bCount = hunk.filter((op) => op.kind !== '-').length;
    const aStart = aCount === 0 ? first.a : first.a + 1;
    const bStart = bCount === 0 ? first.b : first.b + 1;
    out.push(`@@ -${range(aStart, aCount)} +${range(bStart, bCount)} @@`);
    for (const op of hunk) {
      out.push(`${op.kind}${op.line.replace(/\n$/, '')}`);
      if (!op.line.endsWith('\n')) out.push('\\ No newline at end of file');
    }
  }
  return `${out.join('\n')}\n`;
}

function range(start: number, count: number): string {
  return count === 1 ? `${start}` : `${start},${count}`;
}

/** Lines with their line endings, so a missing final newline is a difference like any other. */
function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split(/(?<=\n)/);
  return lines;
}

function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  // Common prefix and suffix first: typical edits touch a few lines of a long file.
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix += 1;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix += 1;

  const ops: Op[] = [];
  for (let i = 0; i < prefix; i += 1) ops.push({ kind: ' ', line: a[i]!, a: i, b: i });
  const middle = myers(a.slice(prefix, a.length - suffix), b.slice(prefix, b.length - suffix));
  for (const op of middle) ops.push({ ...op, a: op.a + prefix, b: op.b + prefix });
  for (let k = suffix; k > 0; k -= 1) ops.push({ kind: ' ', line: a[a.length - k]!, a: a.length - k, b: b.length - k });
  return ops;
}

/** Shortest edit script; `a`/`b` on each op are the 0-based positions before it in each text. */
function myers(a: readonly string[], b: readonly string[]): Op[] {
  const n = a.length;
  const m = b.length;
  const max = n + m;
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  let found = false;
  for (let d = 0; d <= max && !found; d += 1) {
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
        found = true;
        break;
      }
    }
  }
  trace.push(v.slice());

  const ops: Op[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 2; d >= 0 && (x > 0 || y > 0); d -= 1) {
    const prev = trace[d]!;
    const k = x - y;
    const down = k === -d || (k !== d && prev[offset + k - 1]! < prev[offset + k + 1]!);
    const prevK = down ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : prev[offset + prevK]!;
    const prevY = prevX - prevK;
    while (x > prevX && y > prevY) {
      x -= 1;
      y -= 1;
      ops.push({ kind: ' ', line: a[x]!, a: x, b: y });
    }
    if (d === 0) break;
    if (down) {
      y -= 1;
      ops.push({ kind: '+', line: b[y]!, a: x, b: y });
    } else {
      x -= 1;
      ops.push({ kind: '-', line: a[x]!, a: x, b: y });
    }
  }
  return ops.reverse();
}

function groupHunks(ops: readonly Op[], context: number): Op[][] {
  const changed = ops.map((op, i) => (op.kind === ' ' ? -1 : i)).filter((i) => i !== -1);
  const hunks: Op[][] = [];
  let start = -1;
  let end = -1;
  for (const i of changed) {
    // Like diff -u: changes separated by at most 2 × context equal lines share a hunk.
    if (start !== -1 && i - end - 1 <= 2 * context) {
      end = i;
      continue;
    }
    if (start !== -1) hunks.push(ops.slice(Math.max(0, start - context), Math.min(ops.length, end + context + 1)));
    start = i;
    end = i;
  }
  if (start !== -1) hunks.push(ops.slice(Math.max(0, start - context), Math.min(ops.length, end + context + 1)));
  return hunks;
}
