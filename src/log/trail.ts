import { createHash } from 'node:crypto';
import { isDeepStrictEqual } from 'node:util';
import { applyPatch, type Operation } from 'rfc6902';
import { isRecord } from '../document/plain-data.js';
import type { StateChangeEntry } from './audit-entry.js';
import { RecentTexts } from '../text/recent-texts.js';

/**
 * The trail: the audit entries that let any revision be rebuilt (issue 14, the spec's Phase 6).
 * One entry per written revision carries, beside the fields every reader knows:
 *  - `patch`: the RFC 6902 JSON Patch from the data at revision `base` to the data it wrote;
 *  - `data`: a full copy (a snapshot), only where the trail cannot otherwise continue;
 *  - `sha`: a hash of the file's bytes as written, so the next save sees a change made outside the
 *    toolkit by hashing the text it reads anyway, instead of parsing the whole file.
 * Pure: takes entries, returns data.
 */

/** An RFC 6902 operation, declared here so the package's types do not depend on rfc6902's. */
export interface JsonPatchOperation {
  op: 'add' | 'remove' | 'replace' | 'move' | 'copy' | 'test';
  path: string;
  value?: unknown;
  from?: string;
}
export type JsonPatch = JsonPatchOperation[];

export interface TrailEntry extends StateChangeEntry {
  sha?: string;
  base?: number;
  patch?: JsonPatch;
  data?: Record<string, unknown>;
}

/** The state as of one revision of the trail. */
export interface TrailState {
  revision: number;
  data: Record<string, unknown>;
}

/** A write hashes the same text more than once (its trail line, the shared engine's commit). */
const recentHashes = new RecentTexts<string>(2);

/** First 128 bits of SHA-256 of the file's bytes: enough to tell an edit, a sixth of a line's size. */
export function textHash(text: string): string {
  let hash = recentHashes.find(text);
  if (hash === undefined) {
    hash = createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 32);
    recentHashes.remember(text, hash);
  }
  return hash;
}

/** True for an entry that carries a revision's data: a snapshot, or a patch on a named base. */
export function isTrailEntry(entry: StateChangeEntry): entry is TrailEntry {
  const e = entry as TrailEntry;
  if (typeof e.revision !== 'number') return false;
  return isRecord(e.data) || (Array.isArray(e.patch) && typeof e.base === 'number');
}

export function isSnapshot(entry: TrailEntry): boolean {
  return isRecord(entry.data);
}

/** Why the trail cannot give a revision, for the one-line error `show` prints. */
export class TrailGap extends Error {
  constructor(
    readonly revision: number | null,
    reason: string,
  ) {
    super(reason);
  }
}

/** Step callback of `walkTrail`: the entry, the state before it (null where unknown) and after. */
export type TrailStep = (
  entry: TrailEntry,
  before: TrailState | null,
  after: TrailState | null,
  broken: string | null,
) => boolean | undefined;

/**
 * Walks the trail in log order (the order of saves, under the lock). A snapshot restarts from its
 * copy; a patch applies to the state before it only when its `base` is that state's revision, else
 * the chain is broken there (a lost or removed entry) until the next snapshot. `step` may return
 * true to stop early. Patches are applied to one working copy, so a walk costs the patches' size.
 */
export function walkTrail(entries: readonly StateChangeEntry[], step: TrailStep): TrailState | null {
  let current: TrailState | null = null;
  for (const raw of entries) {
    if (!isTrailEntry(raw)) continue;
    const entry = raw;
    const before = current === null ? null : { revision: current.revision, data: current.data };
    let broken: string | null = null;
    if (isSnapshot(entry)) {
      current = { revision: entry.revision, data: structuredClone(entry.data!) };
    } else if (current === null) {
      broken = `revision ${entry.revision} is a change on revision ${entry.base}, and the trail holds no snapshot before it`;
    } else if (current.revision !== entry.base) {
      broken = `revision ${entry.revision} is a change on revision ${entry.base}, but the trail before it ends at revision ${current.revision} (an entry is missing)`;
      current = null;
    } else {
      const next: Record<string, unknown> = structuredClone(current.data);
      const failed = applyPatch(next, entry.patch as Operation[]).find((result) => result !== null);
      if (failed) {
        broken = `revision ${entry.revision}'s patch does not apply (${failed.name}: ${failed.message})`;
        current = null;
      } else current = { revision: entry.revision, data: next };
    }
    if (step(entry, before, current, broken)) break;
  }
  return current;
}

/**
 * The state as of `revision` (or the latest the trail holds), or a TrailGap saying why not.
 * Starts at the last snapshot before the wanted revision, so the cost follows the patches after it.
 */
export function rebuildState(entries: readonly StateChangeEntry[], revision?: number): TrailState | TrailGap {
  const trail = entries.filter(isTrailEntry);
  if (trail.length === 0) return new TrailGap(revision ?? null, 'the audit log holds no trail (no entry with a snapshot or a patch)');
  let stop = trail.length - 1;
  if (revision !== undefined) {
    stop = trail.findLastIndex((entry) => entry.revision === revision);
    if (stop === -1) {
      const known = trail.map((entry) => entry.revision);
      return new TrailGap(
        revision,
        `revision ${revision} is not in the trail (it holds revisions ${Math.min(...known)} to ${Math.max(...known)}; numbers may skip)`,
      );
    }
  }
  let start = 0;
  for (let i = stop; i >= 0; i -= 1) {
    if (isSnapshot(trail[i]!)) {
      start = i;
      break;
    }
  }
  let gap: string | null = null;
  const result = walkTrail(trail.slice(start, stop + 1), (_entry, _before, _after, broken) => {
    if (broken !== null) gap = broken;
    return undefined;
  });
  if (result === null) return new TrailGap(revision ?? null, gap ?? 'the trail cannot rebuild it');
  return result;
}

/** Dotted paths where two data trees differ (mappings compared key by key, anything else whole). */
export function differingPaths(a: unknown, b: unknown, prefix = ''): string[] {
  if (isDeepStrictEqual(a, b)) return [];
  if (isRecord(a) && isRecord(b)) {
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])];
    return keys.flatMap((key) => differingPaths(a[key], b[key], prefix === '' ? key : `${prefix}.${key}`));
  }
  return [prefix === '' ? '(whole document)' : prefix];
}

/** One log line for a prune: its bytes, its entry (null when it is not one) and whether its age keeps it. */
export interface PruneLine {
  bytes: Buffer;
  entry: StateChangeEntry | null;
  kept: boolean;
}

export interface TrailPrune {
  /** The lines to write, in order. */
  lines: Buffer[];
  /** The revision whose snapshot now starts the trail in place of the entries pruned before it, or null. */
  snapshotRevision: number | null;
  /** True when that snapshot is a pruned entry written back (it is then not counted as removed). */
  restored: boolean;
  /** Said when the prune drops what replay needed and could not keep it as a snapshot. */
  dropped: string | null;
}

/**
 * A prune keeps what replay needs. The first trail entry it keeps, when it is a patch, gets the data
 * of its revision (it becomes a snapshot, its patch kept for `history`); when it keeps none, the newest
 * trail entry stays, as a snapshot, so the next save continues from its hash.
 */
export function keepTrailStart(lines: readonly PruneLine[]): TrailPrune {
  const all = lines.map((line) => line.entry).filter((entry): entry is StateChangeEntry => entry !== null);
  const trailAt = lines.flatMap((line, i) => (line.entry !== null && isTrailEntry(line.entry) ? [i] : []));
  const firstKept = trailAt.find((i) => lines[i]!.kept);
  const anchor = firstKept ?? trailAt.at(-1);
  const kept = lines.filter((line) => line.kept).map((line) => line.bytes);
  if (anchor === undefined) return { lines: kept, snapshotRevision: null, restored: false, dropped: null };
  const entry = lines[anchor]!.entry as TrailEntry;
  const droppedBefore = trailAt.some((i) => i < anchor && !lines[i]!.kept);
  if (isSnapshot(entry) && lines[anchor]!.kept) return { lines: kept, snapshotRevision: null, restored: false, dropped: null };
  if (firstKept !== undefined && !droppedBefore) return { lines: kept, snapshotRevision: null, restored: false, dropped: null };
  const state = rebuildState(all.slice(0, all.indexOf(entry) + 1), entry.revision);
  if (state instanceof TrailGap) {
    return {
      lines: kept,
      snapshotRevision: null,
      restored: false,
      dropped: `revision ${entry.revision} cannot be rebuilt from the trail (${state.message}); replay now starts at the next snapshot kept`,
    };
  }
  const snapshot: TrailEntry = { ...entry, data: state.data };
  const out: Buffer[] = [];
  lines.forEach((line, i) => {
    if (i === anchor)
      out.push(
        Buffer.from(
          JSON.stringify(snapshot)
            .replace(/\u2028/g, '\\u2028')
            .replace(/\u2029/g, '\\u2029'),
        ),
      );
    else if (line.kept) out.push(line.bytes);
  });
  return { lines: out, snapshotRevision: entry.revision, restored: !lines[anchor]!.kept, dropped: null };
}
