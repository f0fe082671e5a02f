import type { ParsedState } from '../document/document.js';
import { defineData, isRecord } from '../document/plain-data.js';
import { applyStateEdits, phaseItemEdits, type StateEdit } from './state-edits.js';

/**
 * The state as the program sees it: a typed view over the plain data of the whole file. Only the
 * fields the tools act on have names; every other key (a real file has ~20 the model does not
 * know) is still in `data`, reachable with getIn/setIn, and written back untouched.
 */

export type StatePath = string | ReadonlyArray<string | number>;

export interface Blocker {
  id: string;
  description: string;
  severity: string;
  /** The day it was added, under the Python original's field name. */
  added_date?: string;
  /** The same, as this toolkit wrote it before it used the Python name; read, never written. */
  added?: string;
  [key: string]: unknown;
}

/** The day a blocker was added, whichever name the file uses for it. */
export function blockerAddedDate(blocker: Blocker): string | undefined {
  const value = blocker.added_date ?? blocker.added;
  return value === undefined || value === null ? undefined : String(value);
}

/** One change a domain method made, for the audit trail (the revision is added when it is saved). */
export interface RecordedChange {
  change_type: string;
  description: string;
  old_value?: unknown;
  new_value?: unknown;
}

export const BLOCKER_SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;

/** Local calendar date: a person reading the file expects their own day. */
export function localDate(now: Date = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

function toPath(path: StatePath): Array<string | number> {
  if (typeof path !== 'string') return [...path];
  if (path === '') throw new RangeError('empty path');
  return path.split('.').map((part) => (/^\d+$/.test(part) ? Number(part) : part));
}

function stringList(value: unknown): string[] {
  return Array.isArray(value) ? value.map((v) => (typeof v === 'string' ? v : JSON.stringify(v))) : [];
}

export class CurrentPhase {
  constructor(private readonly state: ParacState) {}

  private get(key: string): unknown {
    return this.state.getIn(['current_phase', key]);
  }

  get id(): string | undefined {
    return this.get('id') as string | undefined;
  }
  get name(): string | undefined {
    return this.get('name') as string | undefined;
  }
  get status(): string | undefined {
    return this.get('status') as string | undefined;
  }
  /** As written in the file, e.g. "75%". */
  get progress(): string | undefined {
    const value = this.get('progress');
    return value === undefined || value === null ? undefined : String(value);
  }
  get focusAreas(): string[] {
    return stringList(this.get('focus_areas'));
  }
  get completed(): string[] {
    return stringList(this.get('completed'));
  }
  get inProgress(): string[] {
    return stringList(this.get('in_progress'));
  }
  get pending(): string[] {
    return stringList(this.get('pending'));
  }
}

export class ParacState {
  /** The file's text this state was read from (empty for a state that has no file yet). */
  source: string;
  /** What `source` reads as; compared with `data` to find what this process changed. */
  original: Record<string, unknown>;
  /** The whole document as plain, mutable data. */
  data: Record<string, unknown>;
  /** Changes made through the domain methods since the last save. */
  changes: RecordedChange[] = [];
  /**
   * Every path assigned since the last save, even to the value it had (today's `snapshot_date`): a save
   * writes what is there in a form both YAML readers read the same.
   */
  assigned: Array<Array<string | number>> = [];

  constructor(parsed: ParsedState) {
    this.source = parsed.text;
    this.original = parsed.data;
    this.data = structuredClone(parsed.data);
  }

  /** The revision this state was read at; it changes only when a save has succeeded. */
  get revision(): number {
    const value = this.original.revision;
    return typeof value === 'number' ? value : 0;
  }

  get snapshotDate(): string | undefined {
    const value = this.data.snapshot_date;
    return value === undefined || value === null ? undefined : String(value);
  }
  set snapshotDate(value: string) {
    this.assign(['snapshot_date'], value);
  }

  get projectName(): string | undefined {
    const value = this.getIn(['project', 'name']);
    return typeof value === 'string' ? value : value === undefined ? undefined : JSON.stringify(value);
  }
  get projectVersion(): string | undefined {
    const value = this.getIn(['project', 'version']);
    return value === undefined || value === null ? undefined : String(value);
  }

  get currentPhase(): CurrentPhase {
    return new CurrentPhase(this);
  }

  get blockers(): Blocker[] {
    const value = this.data.blockers;
    return Array.isArray(value) ? (value.filter(isRecord) as Blocker[]) : [];
  }
  get nextActions(): string[] {
    return stringList(this.data.next_actions);
  }
  get metrics(): Record<string, unknown> {
    const value = this.data.metrics;
    return isRecord(value) ? value : {};
  }

  getIn(path: StatePath): unknown {
    let node: unknown = this.data;
    for (const key of toPath(path)) {
      if (Array.isArray(node) && typeof key === 'number') node = node[key];
      else if (isRecord(node) && Object.hasOwn(node, String(key))) node = node[String(key)];
      else return undefined;
    }
    return node;
  }

  /**
   * Sets any key, creating the mappings on the way; records an `update` change. `undefined` is not a
   * value a YAML file can hold: it is a TypeError pointing at `deleteIn`, so a removal is always explicit.
   */
  setIn(path: StatePath, value: unknown): void {
    const parts = toPath(path);
    if (value === undefined) {
      throw new TypeError(`setIn(${parts.join('.')}, undefined): a state file cannot hold undefined; use deleteIn to remove the key`);
    }
    const old = this.getIn(parts);
    this.assign(parts, value);
    this.changes.push({
      change_type: 'update',
      description: `Set ${parts.join('.')}`,
      old_value: old,
      new_value: value,
    });
  }

  /** Removes a key (or a list item) and records an `update` change; returns whether it was there. */
  deleteIn(path: StatePath): boolean {
    const parts = toPath(path);
    if (parts.length === 0) throw new RangeError('empty path');
    const parent = parts.length === 1 ? this.data : this.getIn(parts.slice(0, -1));
    const last = parts[parts.length - 1]!;
    let old: unknown;
    if (Array.isArray(parent) && typeof last === 'number' && last < parent.length) {
      [old] = parent.splice(last, 1);
    } else if (isRecord(parent) && Object.hasOwn(parent, String(last))) {
      old = parent[String(last)];
      delete parent[String(last)];
    } else return false;
    this.changes.push({ change_type: 'update', description: `Removed ${parts.join('.')}`, old_value: old });
    return true;
  }

  updateProgress(percent: number): void {
    if (!Number.isInteger(percent) || percent < 0 || percent > 100) {
      throw new RangeError(`progress must be an integer from 0 to 100, got ${String(percent)}`);
    }
    const old = this.currentPhase.progress;
    const next = `${percent}%`;
    this.assign(['current_phase', 'progress'], next);
    this.touch();
    this.changes.push({
      change_type: 'progress',
      description: `Updated phase progress from ${old ?? 'unset'} to ${next}`,
      old_value: old ?? null,
      new_value: next,
    });
  }

  /** Marks an item completed in the current phase, and no longer in progress or pending (as the Python original does). */
  addCompleted(item: string): void {
    this.applyPhaseEdits(phaseItemEdits(this.data, { complete: [item] }));
    this.touch();
    this.changes.push({ change_type: 'completed', description: `Completed ${item}`, new_value: item });
  }

  /** Marks an item in progress in the current phase, and no longer pending (as the Python original does). */
  addInProgress(item: string): void {
    this.applyPhaseEdits(phaseItemEdits(this.data, { start: [item] }));
    this.touch();
    this.changes.push({ change_type: 'in_progress', description: `Started ${item}`, new_value: item });
  }

  /**
   * Returns the new blocker's id: `blocker_<n>`, one past the highest in use. The Python original
   * numbers by count (`len(blockers) + 1`), which repeats an id after a removal; with no gaps both
   * give the same id.
   */
  addBlocker(description: string, severity: string = 'medium'): string {
    if (!(BLOCKER_SEVERITIES as readonly string[]).includes(severity)) {
      throw new RangeError(`severity must be one of ${BLOCKER_SEVERITIES.join(', ')}, got ${severity}`);
    }
    const blockers = this.mutableList(['blockers']);
    const highest = Math.max(0, ...blockers.map((b) => Number(/^blocker_(\d+)$/.exec(String(isRecord(b) ? b.id : ''))?.[1] ?? 0)));
    const id = `blocker_${highest + 1}`;
    const blocker: Blocker = { id, description, severity, added_date: localDate() };
    blockers.push(blocker);
    this.touch();
    this.changes.push({ change_type: 'blocker_added', description: `Added blocker ${id}: ${description}`, new_value: blocker });
    return id;
  }

  /** Returns whether a blocker with that id was there. */
  removeBlocker(id: string): boolean {
    const blockers = this.data.blockers;
    if (!Array.isArray(blockers)) return false;
    const index = blockers.findIndex((b) => isRecord(b) && b.id === id);
    if (index === -1) return false;
    const [removed] = blockers.splice(index, 1);
    this.touch();
    this.changes.push({ change_type: 'blocker_removed', description: `Removed blocker ${id}`, old_value: removed });
    return true;
  }

  private touch(): void {
    this.assign(['snapshot_date'], localDate());
  }

  /** The phase lists' edits, each set as the domain change it is part of (the caller records it). */
  private applyPhaseEdits(edits: readonly StateEdit[]): void {
    const { skipped } = applyStateEdits(this.data, edits);
    // A current_phase that is a plain value would be replaced by a mapping: refuse rather than lose it.
    if (skipped.length > 0) throw new TypeError('current_phase is not a mapping in the state file');
    for (const edit of edits) this.assign([...edit.path], edit.value);
  }

  /** The list at `path`, created (as an empty list) where the file has none. */
  private mutableList(path: Array<string | number>): unknown[] {
    const existing = this.getIn(path);
    if (Array.isArray(existing)) return existing;
    if (existing !== undefined && existing !== null) {
      throw new TypeError(`${path.join('.')} is not a list in the state file`);
    }
    const list: unknown[] = [];
    this.assign(path, list);
    return list;
  }

  private assign(path: Array<string | number>, value: unknown): void {
    if (path.length === 0) throw new RangeError('empty path');
    let node: unknown = this.data;
    for (let i = 0; i < path.length - 1; i += 1) {
      const key = path[i]!;
      const record = node as Record<string, unknown>;
      // Own properties only: `__proto__.x` must never reach Object.prototype.
      const next = Array.isArray(node) ? node[Number(key)] : Object.hasOwn(record, String(key)) ? record[String(key)] : undefined;
      if (next === null || typeof next !== 'object') {
        if (Array.isArray(node)) throw new TypeError(`${path.slice(0, i + 1).join('.')} does not exist`);
        const created: Record<string, unknown> = {};
        defineData(record, String(key), created);
        node = created;
      } else node = next;
    }
    const last = path[path.length - 1]!;
    if (Array.isArray(node)) node[Number(last)] = value;
    else defineData(node as Record<string, unknown>, String(last), value);
    this.assigned.push([...path]);
  }
}
