import { diffHunks } from '../text/line-diff.js';

/**
 * A unified diff of two texts (what `--dry-run` prints), from the line diff in src/text/ (Myers'
 * O(ND) algorithm), so a preview needs no temp files and no extra process. Output matches
 * `diff -u`: `---`/`+++` headers, `@@ -a,b +c,d @@` hunks with `context` lines around each change,
 * and `\ No newline at end of file` where it applies. Equal texts give an empty string.
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

/** The texts as one sequence of equal, removed and added lines. */
function diffLines(a: readonly string[], b: readonly string[]): Op[] {
  const ops: Op[] = [];
  let i = 0;
  let j = 0;
  const equalUntil = (end: number) => {
    for (; i < end; i += 1, j += 1) ops.push({ kind: ' ', line: a[i]!, a: i, b: j });
  };
  for (const hunk of diffHunks(a, b)) {
    equalUntil(hunk.aStart);
    for (let x = hunk.aStart; x < hunk.aEnd; x += 1) ops.push({ kind: '-', line: a[x]!, a: x, b: j });
    for (let y = hunk.bStart; y < hunk.bEnd; y += 1) ops.push({ kind: '+', line: b[y]!, a: hunk.aEnd, b: y });
    i = hunk.aEnd;
    j = hunk.bEnd;
  }
  equalUntil(a.length);
  return ops;
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
