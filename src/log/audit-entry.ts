import { AuditEntryError } from '../errors.js';

/** One line of `.parac/memory/logs/state_changes.jsonl`. */
export interface StateChangeEntry {
  /** ISO 8601. */
  timestamp: string;
  process_id: number;
  /** progress, completed, in_progress, blocker_added, blocker_removed, update (setIn), auto_maintain, merge, reconcile, ... */
  change_type: string;
  description: string;
  old_value?: unknown;
  new_value?: unknown;
  /**
   * The revision the save wrote. The Python tooling logs the revision its state had before its save (and may
   * leave it out): see `writtenByPythonTooling`.
   */
  revision: number;
  [extra: string]: unknown;
}

export type StateChangeInput = Omit<StateChangeEntry, 'timestamp' | 'process_id'> &
  Partial<Pick<StateChangeEntry, 'timestamp' | 'process_id'>>;

/** A line of the log split out of the file's bytes, numbered from 1. */
export interface AuditLogLine {
  line: number;
  bytes: Buffer;
  /** False only for the last line of a file that does not end with a newline (a torn or foreign write). */
  terminated: boolean;
}

const NEWLINE = 0x0a;

/**
 * Now, as ISO 8601 with a numeric offset: `2026-11-27T09:07:00.123+00:00`. Python 3.10's
 * `datetime.fromisoformat`, which the Python tooling's `clear_old_changes` uses, rejects a `Z`.
 */
export function auditTimestamp(now: Date = new Date()): string {
  return now.toISOString().replace(/Z$/, '+00:00');
}

/** A timestamp without an offset: local time, as Python's `datetime.now().isoformat()` writes it. */
const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?$/;

/**
 * True for an entry the Python paracle tooling wrote (`state_logging.py`): its timestamps are naive local
 * time, ours always carry an offset. Its `revision` is the one the state had before its save.
 */
export function writtenByPythonTooling(entry: StateChangeEntry): boolean {
  return typeof entry.timestamp === 'string' && NAIVE_TIMESTAMP.test(entry.timestamp);
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  return String(value);
}

/**
 * Checks what the log needs to stay useful (a type to filter on, a description to read, a revision to order by,
 * a timestamp `clearOldChanges` can age) and throws before anything is written.
 */
export function validateStateChange(input: unknown, index = 0): asserts input is StateChangeInput {
  const fail = (field: string, reason: string): never => {
    throw new AuditEntryError(field, index, reason);
  };
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    return fail('entry', `must be an object, got ${Array.isArray(input) ? 'an array' : describeValue(input)}`);
  }
  const entry = input as Record<string, unknown>;
  if (typeof entry.change_type !== 'string' || entry.change_type.trim() === '') {
    fail('change_type', `must be a non-empty string, got ${describeValue(entry.change_type)}`);
  }
  if (typeof entry.description !== 'string') {
    fail('description', `must be a string, got ${describeValue(entry.description)}`);
  }
  if (typeof entry.revision !== 'number' || !Number.isSafeInteger(entry.revision) || entry.revision < 0) {
    fail('revision', `must be a non-negative integer, got ${describeValue(entry.revision)}`);
  }
  if (entry.timestamp !== undefined) {
    if (typeof entry.timestamp !== 'string' || Number.isNaN(Date.parse(entry.timestamp))) {
      fail('timestamp', `must be an ISO 8601 date string, got ${describeValue(entry.timestamp)}`);
    }
  }
  if (entry.process_id !== undefined) {
    if (typeof entry.process_id !== 'number' || !Number.isSafeInteger(entry.process_id) || entry.process_id < 0) {
      fail('process_id', `must be a non-negative integer, got ${describeValue(entry.process_id)}`);
    }
  }
}

/**
 * The entry as it is written: the known fields first, in the Python original's order, so lines from both tools
 * read alike; missing `timestamp` / `process_id` are filled in.
 */
export function completeStateChange(input: StateChangeInput, fill: { timestamp: string; processId: number }, index = 0): StateChangeEntry {
  validateStateChange(input, index);
  const { timestamp, process_id, change_type, description, old_value, new_value, revision, ...extra } = input;
  const known: Record<string, unknown> = {
    timestamp: timestamp ?? fill.timestamp,
    process_id: process_id ?? fill.processId,
    change_type,
    description,
  };
  // Keys present with `undefined` are left out, as JSON would; an explicit null is a real old or new value.
  if (old_value !== undefined) known.old_value = old_value;
  if (new_value !== undefined) known.new_value = new_value;
  known.revision = revision;
  // Spread (not Object.assign) so an extra key named `__proto__` stays data.
  return { ...known, ...extra } as StateChangeEntry;
}

/**
 * One JSON object per line, every line ending in `\n`. JSON.stringify already escapes `\n` and `\r` inside
 * strings; U+2028 / U+2029 are escaped too because some readers (Python's `str.splitlines`) break lines there.
 */
export function formatAuditLines(entries: readonly StateChangeEntry[], index = 0): string {
  let out = '';
  entries.forEach((entry, i) => {
    let json: string | undefined;
    try {
      json = JSON.stringify(entry);
    } catch (error) {
      throw new AuditEntryError('entry', index + i, `cannot be serialised to JSON: ${(error as Error).message}`, {
        cause: error,
      });
    }
    out += `${json.replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`;
  });
  return out;
}

/** Splits the log's bytes at `\n` (never inside a UTF-8 sequence); blank lines are not data and are left out. */
export function splitAuditLog(bytes: Buffer): AuditLogLine[] {
  const lines: AuditLogLine[] = [];
  let start = 0;
  let number = 0;
  while (start < bytes.length) {
    const end = bytes.indexOf(NEWLINE, start);
    const terminated = end !== -1;
    const stop = terminated ? end : bytes.length;
    number += 1;
    const slice = bytes.subarray(start, stop);
    if (!isBlank(slice)) lines.push({ line: number, bytes: slice, terminated });
    start = stop + 1;
  }
  return lines;
}

function isBlank(bytes: Buffer): boolean {
  for (const byte of bytes) {
    if (byte !== 0x20 && byte !== 0x09 && byte !== 0x0d) return false;
  }
  return true;
}

/** The entry a line holds, or null when it is not a JSON object (torn, garbled, or something we do not know). */
export function parseAuditLine(text: string): StateChangeEntry | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  return value as StateChangeEntry;
}

/** Milliseconds since the epoch of an entry's timestamp (a naive one is local time), or null when it has none we can read. */
export function entryTime(entry: StateChangeEntry): number | null {
  if (typeof entry.timestamp !== 'string') return null;
  const time = Date.parse(entry.timestamp);
  return Number.isNaN(time) ? null : time;
}

/**
 * Entries newest first by the moment they were logged, for people: naive local times (Python's) and UTC
 * offsets (ours) compared as instants, not as text. Entries at the same instant, or without a readable
 * time (which take the time of the entry before them), keep the log's order (the order of appends).
 */
export function newestFirst(entries: readonly StateChangeEntry[]): StateChangeEntry[] {
  let carried = Number.NEGATIVE_INFINITY;
  const keyed = entries.map((entry, index) => {
    carried = entryTime(entry) ?? carried;
    return { entry, index, time: carried };
  });
  keyed.sort((a, b) => b.time - a.time || b.index - a.index);
  return keyed.map((k) => k.entry);
}

/**
 * Which lines a clear keeps: entries at or after `cutoff`, and every line whose age cannot be told (unparseable,
 * no timestamp) because it is data we do not understand. `keep[i]` says whether line `i` stays; the prune writes
 * the kept lines back as their original bytes.
 */
export function partitionByAge(lines: readonly AuditLogLine[], cutoff: number): { keep: boolean[]; removed: number } {
  const keep: boolean[] = [];
  let removed = 0;
  for (const line of lines) {
    const entry = parseAuditLine(line.bytes.toString('utf8'));
    const time = entry === null ? null : entryTime(entry);
    const old = time !== null && time < cutoff;
    keep.push(!old);
    if (old) removed += 1;
  }
  return { keep, removed };
}
