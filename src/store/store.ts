import { rmSync } from 'node:fs';
import { readBytesIfExistsSync, readTextIfExistsSync } from '../fs/read-text.js';
import { isDeepStrictEqual } from 'node:util';
import { Document } from 'yaml';
import {
  emitParacleWarning,
  HookStepError,
  ParacleError,
  RollbackError,
  StateConflictError,
  StateWriteError,
  type WarningHandler,
} from '../errors.js';
import {
  appendAuditLines,
  auditLogSize,
  formatStateChanges,
  readEntriesBackTo,
  restoreAuditLogSize,
  type StateChangeInput,
} from '../log/audit-log.js';
import { readLogTail, type LogTail } from '../log/revision-high-water.js';
import { differingPaths, isSnapshot, isTrailEntry, rebuildState, textHash, TrailGap } from '../log/trail.js';
import { statePatch } from '../log/state-patch.js';
import { writeFileAtomic, removeOrphanedTempFiles } from '../fs/atomic-write.js';
import { parseStateText, type ParsedState } from '../document/document.js';
import { DEFAULT_LOCK_TIMEOUT_MS, waitForNoWriter, withStateLock, type StateLock, type StateLockOptions } from '../lock/lock.js';
import { catchUpReader, stateEngineFor, type StateEngine } from '../engine/state-engine.js';
import { timeoutMs } from '../lock/lock-timeout.js';
import { ParacState, type RecordedChange } from '../state/model.js';
import { findParacRoot, stateFilePath } from '../state/paths.js';
import { copyMapping, defineData } from '../document/plain-data.js';
import { withRevision } from '../state/revision.js';
import { readSections, readWholeBySections, writeSections, type TopLevelCut } from '../document/sections.js';
import { RewriteError, rewriteYaml, type RewriteOptions } from '../document/yaml-rewrite.js';
import { mergeData } from '../reconcile/merge-data.js';
import { reconcileAuditEntry } from '../reconcile/reconcile-states.js';

/**
 * Load, save and update the state file. Every write happens here, under the lock, as one atomic
 * replace, followed by its audit entries; everything written is computed before the first write.
 */

export const DEFAULT_TIMEOUT_SECONDS = DEFAULT_LOCK_TIMEOUT_MS / 1000;

export interface LoadOptions {
  /** Seconds to wait for a writer to finish (default PARACLE_TIMEOUT or 10). */
  timeout?: number;
}

export interface SaveOptions {
  timeout?: number;
  /** Refuse to save over a file that changed since `state` was loaded (default true). */
  checkConflict?: boolean;
  /** What a conflict does: `throw` a StateConflictError (default) or `reconcile` both changes. */
  onConflict?: 'throw' | 'reconcile';
  onWarning?: WarningHandler;
}

export type { WarningHandler } from '../errors.js';

/** One entry replacing the per-change entries of a save, e.g. a hook's `auto_maintain`. */
export interface AuditOverride {
  changeType: string;
  description: string;
  [extra: string]: unknown;
}

export interface WrittenState {
  file: string;
  text: string;
  revision: number;
  previousRevision: number;
}

export interface UpdateOptions {
  timeout?: number;
  /**
   * Read and write only these top-level keys (and `revision`): `mutate` sees a state holding just
   * them and may change only them. Much cheaper on a large file in a short-lived process (a git
   * hook); falls back to the whole file whenever it cannot be cut safely.
   */
  sections?: readonly string[];
  /**
   * The revision to write at least: max(file's revision + 1, minRevision). A merge uses it so the
   * result is above both sides that met in it.
   */
  minRevision?: number;
  /**
   * The revision of a commit being replaced (`git commit --amend`): written again instead of the
   * next one, when the file is still at it and this clone logged nothing above it.
   */
  replacesRevision?: number;
  audit?: AuditOverride;
  /**
   * Runs inside the lock hold, after the rename: e.g. staging exactly what was written. It may return
   * how to undo what it did, called when a later step (the shared engine's commit) fails.
   */
  afterWrite?: (written: WrittenState) => void | (() => Promise<void>) | Promise<void | (() => Promise<void>)>;
  /**
   * A failing audit append or `afterWrite` puts the state file and the audit log back as they were
   * (byte for byte; removed if they did not exist), then throws. For a git hook: a stopped commit must
   * leave nothing behind, or the log's high-water mark makes the retry skip a revision. With a shared
   * engine its commit comes last, after `afterWrite`: nothing is shared until every local step worked.
   */
  allOrNothing?: boolean;
  onWarning?: WarningHandler;
}

export { timeoutMs } from '../lock/lock-timeout.js';

export function requireParacRoot(paracRoot?: string): string {
  const root = paracRoot ?? findParacRoot();
  if (root === null) {
    throw new ParacleError('PARAC_NOT_FOUND', `no .parac/ directory in ${process.cwd()} or above; run \`paracle init\` or pass --root`);
  }
  return root;
}

/** Synchronous, as every read in a lock hold: see writeFileAtomic. Still a promise, so callers need not change. */
async function readText(file: string): Promise<string | null> {
  try {
    return readTextIfExistsSync(file);
  } catch (error) {
    throw new StateWriteError(file, `cannot read: ${(error as Error).message}`, { cause: error });
  }
}

const EMPTY: Omit<ParsedState, 'data'> = { text: '', revision: 0 };

/** A whole read under the lock, and its cut for writing back only the changed entries (null: rewrite the whole text). */
function readState(file: string, text: string | null): { parsed: ParsedState; cut: TopLevelCut | null } {
  return text === null ? { parsed: { ...EMPTY, data: {} }, cut: null } : readWholeBySections(text, file);
}

/** Returns null only when the state file does not exist; a corrupt file is a StateParseError. */
export async function loadState(paracRoot?: string, options: LoadOptions = {}): Promise<ParacState | null> {
  const root = paracRoot ?? findParacRoot();
  if (root === null) return null;
  const file = stateFilePath(root);
  const engine = await stateEngineFor(root);
  if (engine === null) await waitForNoWriter(file, timeoutMs(options.timeout));
  else await catchUpReader(engine, root, options.timeout);
  const text = await readText(file);
  return text === null ? null : new ParacState(parseStateText(text, file));
}

/** Resolves to the revision written. */
export async function saveState(state: ParacState, paracRoot?: string, options: SaveOptions = {}): Promise<number> {
  return (await saveStateReport(state, paracRoot, options)).revision;
}

/** What a save did: the revision written, and whether it merged with a save made since the state was loaded. */
export interface SaveReport {
  revision: number;
  reconciled: boolean;
}

/** saveState, telling also whether the save reconciled (the revision alone cannot: the high-water mark may skip numbers). */
export async function saveStateReport(state: ParacState, paracRoot?: string, options: SaveOptions = {}): Promise<SaveReport> {
  const root = requireParacRoot(paracRoot);
  const file = stateFilePath(root);
  const checkConflict = options.checkConflict ?? true;
  return holdState(root, file, { timeoutMs: timeoutMs(options.timeout), onWarning: options.onWarning }, async (lock, engine) => {
    const diskText = await readText(file);
    const read =
      diskText === state.source
        ? { parsed: { text: state.source, data: state.original, revision: state.revision }, cut: null }
        : readState(file, diskText);
    const disk = read.parsed;
    const changedElsewhere = disk.text !== state.source;
    if (changedElsewhere && checkConflict) {
      if (options.onConflict === 'reconcile') {
        return { revision: await saveReconciled(state, root, file, lock, engine, read, options.onWarning), reconciled: true };
      }
      throw new StateConflictError(file, state.revision, disk.revision, {
        detail:
          disk.revision === state.revision
            ? 'The file was edited since it was loaded (same revision). Reload the state and retry.'
            : 'State was modified by another process. Reload the state and retry.',
      });
    }
    const entries = auditEntries(state.changes, state.original, state.data);
    const written = await writeState(root, file, lock, disk, state.data, entries, {
      engine,
      cut: read.cut,
      requote: state.assigned,
      onWarning: options.onWarning,
    });
    adopt(state, written);
    return { revision: written.revision, reconciled: false };
  });
}

/**
 * Read, mutate and write inside one lock hold: no conflicts and no lost updates between processes.
 * A mutate that changes nothing writes nothing.
 */
export async function updateState(
  paracRoot: string | undefined,
  mutate: (state: ParacState) => void | Promise<void>,
  options: UpdateOptions = {},
): Promise<ParacState> {
  const root = requireParacRoot(paracRoot);
  const file = stateFilePath(root);
  return holdState(root, file, { timeoutMs: timeoutMs(options.timeout), onWarning: options.onWarning }, async (lock, engine) => {
    const text = await readText(file);
    const partial = options.sections && text !== null ? readSections(text, file, options.sections) : null;
    const read = partial ?? readState(file, text);
    const disk = read.parsed;
    const state = new ParacState(disk);
    await mutate(state);
    if (isDeepStrictEqual(state.data, disk.data)) return state;
    const entries = options.audit ? [overrideEntry(options.audit)] : auditEntries(state.changes, state.original, state.data);
    const undo = options.allOrNothing ? captureBeforeWrite(root, file) : null;
    try {
      const written = await writeState(root, file, lock, disk, state.data, entries, {
        engine,
        minRevision: options.minRevision,
        replacesRevision: options.replacesRevision,
        cut: read.cut,
        partial: partial !== null,
        requote: state.assigned,
        strictLog: undo !== null,
        shareLast: undo !== null,
        onWarning: options.onWarning,
      });
      adopt(state, written);
      const undoAfterWrite = await options.afterWrite?.(written);
      try {
        await written.share?.();
      } catch (error) {
        await undoAfterWrite?.();
        throw error;
      }
    } catch (error) {
      if (undo !== null) await putBack(undo, lock, error);
      throw error;
    }
    return state;
  });
}

export interface RetryOptions {
  maxRetries?: number;
  timeout?: number;
}

/** The spec's load → modify → save-with-check loop, with exponential backoff and jitter. */
export async function updateWithRetry(
  paracRoot: string | undefined,
  mutate: (state: ParacState) => void | Promise<void>,
  options: RetryOptions = {},
): Promise<ParacState> {
  const maxRetries = options.maxRetries ?? 3;
  for (let attempt = 0; ; attempt += 1) {
    const root = requireParacRoot(paracRoot);
    const state = (await loadState(root, { timeout: options.timeout })) ?? new ParacState({ ...EMPTY, data: {} });
    await mutate(state);
    try {
      await saveState(state, root, { timeout: options.timeout, checkConflict: true });
      return state;
    } catch (error) {
      if (!(error instanceof StateConflictError) || attempt >= maxRetries) throw error;
      const base = 10 * 2 ** attempt;
      await new Promise((resolve) => setTimeout(resolve, base + Math.random() * base));
    }
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * The lock hold every write runs in. With a shared engine: its lock first (hosts take turns), then
 * the local one (this host's processes and the Python tooling), then this host catches up to the
 * shared head before anything is read.
 */
async function holdState<T>(
  root: string,
  file: string,
  options: StateLockOptions & { timeoutMs: number },
  fn: (lock: StateLock, engine: StateEngine | null) => Promise<T>,
): Promise<T> {
  const engine = await stateEngineFor(root);
  if (engine === null) return withStateLock(file, options, (lock) => fn(lock, null));
  return engine.hold(options, () =>
    withStateLock(file, options, async (lock) => {
      await engine.catchUp(root);
      return fn(lock, engine);
    }),
  );
}

function render(disk: ParsedState, target: Record<string, unknown>, file: string, requote?: Requote): string {
  try {
    if (disk.text === '') return new Document(target).toString({ lineWidth: 0 });
    return rewriteYaml(disk.text, disk.data, target, { requote });
  } catch (error) {
    if (error instanceof RewriteError) {
      throw new StateWriteError(file, `cannot apply the change without reformatting the file (${error.message}); nothing was written`, {
        cause: error,
      });
    }
    throw error;
  }
}

/**
 * A partial read's entries written back into the whole text. When they cannot be spliced in
 * entry by entry, the whole file is read after all and the entries applied to it.
 */
function renderPartial(disk: ParsedState, cut: TopLevelCut, target: Record<string, unknown>, file: string, requote?: Requote): string {
  try {
    const spliced = writeSections(disk.text, cut, disk.data, target, requote);
    if (spliced !== null) return spliced;
  } catch (error) {
    if (!(error instanceof RewriteError)) throw error;
  }
  const whole = parseStateText(disk.text, file);
  const merged = copyMapping(whole.data);
  for (const key of Object.keys(disk.data)) if (!Object.hasOwn(target, key)) delete merged[key];
  for (const key of Object.keys(target)) defineData(merged, key, target[key]);
  return render(whole, merged, file, requote);
}

type Requote = RewriteOptions['requote'];

interface WriteOptions {
  /** The shared engine the hold was taken with (see holdState); null or absent: none. */
  engine?: StateEngine | null;
  /** The revision to write at least (see UpdateOptions). */
  minRevision?: number;
  replacesRevision?: number;
  /** The read's cut: the changed top-level entries are spliced into the text one by one (none: the whole text is rewritten). */
  cut?: TopLevelCut | null;
  /** Only some top-level entries were read (a `sections` update), not all of them. */
  partial?: boolean;
  requote?: Requote;
  /** A failed audit append throws instead of warning (an all-or-nothing update puts the state back). */
  strictLog?: boolean;
  /** The shared engine's commit is left to the caller (`share` in the result), after its own steps. */
  shareLast?: boolean;
  onWarning?: WarningHandler;
}

/** Under the lock: render, replace atomically, then log. Returns what was written. */
async function writeState(
  root: string,
  file: string,
  lock: StateLock,
  disk: ParsedState,
  data: Record<string, unknown>,
  entries: RecordedChange[],
  options: WriteOptions = {},
): Promise<WrittenState & { data: Record<string, unknown>; share?: () => Promise<void> }> {
  const tail = await readLogTail(root);
  // Above the high-water mark too: git may have taken the file back to a revision this clone already wrote.
  const next = Math.max(disk.revision + 1, options.minRevision ?? 0, tail.highWater + 1);
  const engine = options.engine ?? null;
  // A shared engine's revisions only grow (another host may have the replaced one): there an amend takes the next.
  const replaced = engine === null ? options.replacesRevision : undefined;
  const revision = replaced === disk.revision && tail.highWater <= replaced ? replaced : next;
  const partial = options.partial === true;
  const trail = await planTrail(root, file, disk, tail, partial, revision);
  const target = withRevision(data, revision);
  const text = options.cut ? renderPartial(disk, options.cut, target, file, options.requote) : render(disk, target, file, options.requote);
  // The diff is of data the save already holds: a partial (sections) read diffs only the keys it read,
  // which is the whole change, since the keys it did not read are written back untouched.
  const trailFields =
    trail.base === null
      ? { sha: textHash(text), data: partial ? parseStateText(text, file).data : target }
      : { sha: textHash(text), base: trail.base, patch: statePatch(disk.data, target) };
  const saved: StateChangeInput[] = entries.map((entry) => ({ ...entry, revision }));
  saved[saved.length - 1] = { ...saved[saved.length - 1]!, ...trailFields };
  const log = formatStateChanges([...trail.anchors, ...saved]);
  await removeOrphanedTempFiles(file);
  // With a shared engine the write lands there first, fenced by its revision; nothing local is written if it is refused.
  const shared = { previousText: disk.text, text, revision, log };
  if (!options.shareLast) await engine?.commit(root, shared);
  // A lock taken over while we worked (we stalled past the stale period) must not be written through.
  await writeFileAtomic(file, text, { beforeRename: () => lock.assertHeld() });
  if (options.strictLog) await appendAuditLines(root, log);
  else await logQuietly(root, log, options.onWarning ?? emitParacleWarning);
  const share = options.shareLast && engine !== null ? () => engine.commit(root, shared) : undefined;
  return { file, text, revision, previousRevision: disk.revision, data: target, share };
}

/** Where this save's patch starts, and the entry to log first when the file is not the trail's last revision. */
interface TrailPlan {
  /** The trail revision the file on disk is; null when the save starts the trail (it is then a snapshot). */
  base: number | null;
  anchors: StateChangeInput[];
}

/**
 * The file on disk is the trail's last revision when its bytes hash to that entry's `sha` (the common
 * case: one hash of text the save has read anyway). Otherwise something else wrote it (a hand edit,
 * the Python tooling, git): the trail is rebuilt once and the difference logged as an `external_edit`
 * entry with its patch and a snapshot. With no trail to continue (none yet, or broken), the save's own
 * entry is the snapshot that starts one.
 */
async function planTrail(
  root: string,
  file: string,
  disk: ParsedState,
  tail: LogTail,
  partial: boolean,
  revision: number,
): Promise<TrailPlan> {
  if (disk.text === '' || tail.lastTrail === null) return { base: null, anchors: [] };
  const sha = textHash(disk.text);
  if (tail.lastTrail.sha === sha) return { base: tail.lastTrail.revision, anchors: [] };
  // Back to the newest snapshot only: with the Python tooling saving in between, that is a few entries.
  const known = rebuildState(await readEntriesBackTo(root, (entry) => isTrailEntry(entry) && isSnapshot(entry)));
  if (known instanceof TrailGap) return { base: null, anchors: [] };
  const found = partial ? parseStateText(disk.text, file).data : disk.data;
  // Only the formatting changed (a comment, a blank line): the data is still the trail's last revision.
  if (isDeepStrictEqual(known.data, found)) return { base: known.revision, anchors: [] };
  // A number of its own when the writer raised the file's revision past the trail (the Python tooling);
  // else (a hand edit, git taking the file back) the revision this save writes, whose entry follows it,
  // so a save never skips a number the hooks' staged copy did not.
  const at = disk.revision > known.revision ? disk.revision : revision;
  return {
    base: at,
    anchors: [
      {
        change_type: 'external_edit',
        description: `Changed outside paracle since revision ${known.revision}: ${differingPaths(known.data, found).join(', ')}`,
        revision: at,
        sha,
        base: known.revision,
        patch: statePatch(known.data, found),
        data: found,
      },
    ],
  };
}

/** A logging failure never fails the save (the state is already written) but is reported. */
async function logQuietly(root: string, lines: string, onWarning: WarningHandler): Promise<void> {
  try {
    await appendAuditLines(root, lines);
  } catch (error) {
    onWarning(`the state was saved but its audit entry was not: ${(error as Error).message}`);
  }
}

/** What an all-or-nothing update puts back: the state file's bytes and the audit log's length (null: absent). */
interface BeforeWrite {
  root: string;
  file: string;
  state: Buffer | null;
  logSize: number | null;
}

function captureBeforeWrite(root: string, file: string): BeforeWrite {
  try {
    return { root, file, state: readBytesIfExistsSync(file), logSize: auditLogSize(root) };
  } catch (error) {
    throw new StateWriteError(file, `cannot read: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Under the lock, after `failure`: only what differs is written back (a state file whose own write
 * failed is left alone; it may be one that cannot be written). A lock lost meanwhile means another
 * writer may have written since: then nothing is touched and the failure is a RollbackError saying so.
 */
async function putBack(before: BeforeWrite, lock: StateLock, failure: unknown): Promise<void> {
  try {
    const now = readBytesIfExistsSync(before.file);
    const stateChanged = before.state === null ? now !== null : now === null || !now.equals(before.state);
    if (!stateChanged && auditLogSize(before.root) === before.logSize) return;
    lock.assertHeld();
    if (stateChanged && before.state === null) rmSync(before.file, { force: true });
    else if (stateChanged) await writeFileAtomic(before.file, before.state!, { beforeRename: () => lock.assertHeld() });
    restoreAuditLogSize(before.root, before.logSize);
  } catch (error) {
    const reason = failure instanceof HookStepError ? failure.summary : failure instanceof Error ? failure.message : String(failure);
    throw new RollbackError(
      before.file,
      `${reason.split('\n')[0]}; then putting the state file and audit log back failed: ${(error as Error).message}`,
      {
        cause: failure,
      },
    );
  }
}

function adopt(state: ParacState, written: WrittenState & { data: Record<string, unknown> }): void {
  state.source = written.text;
  state.original = written.data;
  state.data = structuredClone(written.data);
  state.changes = [];
  state.assigned = [];
}

function overrideEntry(audit: AuditOverride): RecordedChange {
  const { changeType, description, ...extra } = audit;
  return { change_type: changeType, description, ...extra };
}

/** What a save logs: the domain changes, or one `update` entry naming the keys that changed. */
function auditEntries(changes: RecordedChange[], before: Record<string, unknown>, after: Record<string, unknown>): RecordedChange[] {
  if (changes.length > 0) return changes;
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter(
    (key) => key !== 'revision' && !isDeepStrictEqual(before[key], after[key]),
  );
  return [
    {
      change_type: 'update',
      description: keys.length > 0 ? `Updated ${keys.join(', ')}` : 'Saved without changes',
      ...(keys.length > 0 ? { keys } : {}),
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// Reconcile (issue 4): a save that found the file changed merges instead of failing.

/** Merges retried when the file changes under a reconcile (only a writer that ignores the lock can do that). */
const RECONCILE_ATTEMPTS = 3;

/**
 * Under the lock: merge what this process changed since it loaded (`state.original` → `state.data`)
 * into the file now on disk, and write that as the next revision, logging this save's own changes
 * plus one `reconcile` entry naming the keys merged and every override with both values.
 */
async function saveReconciled(
  state: ParacState,
  root: string,
  file: string,
  lock: StateLock,
  engine: StateEngine | null,
  found: { parsed: ParsedState; cut: TopLevelCut | null },
  onWarning: WarningHandler | undefined,
): Promise<number> {
  let disk = found.parsed;
  let cut = found.cut;
  let keys: string[] = [];
  for (let attempt = 1; attempt <= RECONCILE_ATTEMPTS; attempt += 1) {
    if (disk.text === '' && state.source !== '') {
      // Merging into "nothing" would write a stub holding only this save's keys.
      throw new StateConflictError(file, state.revision, 0, {
        detail:
          'The state file was removed since it was loaded; not recreating it from a partial merge. Restore it (e.g. git checkout) and retry.',
      });
    }
    const merge = mergeData(state.original, state.data, disk.data);
    keys = merge.mergedKeys;
    // The lock keeps our own writers out; a foreign one (an editor, an older tool) may still have written.
    const now = await readText(file);
    if (now !== disk.text && !(now === null && disk.text === '')) {
      ({ parsed: disk, cut } = readState(file, now));
      continue;
    }
    const entries = [
      ...auditEntries(state.changes, state.original, state.data),
      reconcileAuditEntry(merge, { loaded: state.revision, found: disk.revision }),
    ];
    const written = await writeState(root, file, lock, disk, merge.merged, entries, {
      engine,
      cut,
      requote: state.assigned,
      onWarning,
    });
    adopt(state, written);
    return written.revision;
  }
  throw new StateConflictError(file, state.revision, disk.revision, {
    keys,
    detail: `The file kept changing while this save was merged into it (${RECONCILE_ATTEMPTS} attempts); reload the state and retry.`,
  });
}
