import { randomUUID } from 'node:crypto';
import { parseStateText, type ParsedState } from '../../document/document.js';
import { readEntries } from '../../document/sections.js';
import { EngineError, StateConflictError, StateMissingError } from '../../errors.js';
import { writeFileAtomic } from '../../fs/atomic-write.js';
import { readTextIfExistsSync } from '../../fs/read-text.js';
import { appendAuditLines, formatStateChanges } from '../../log/audit-log.js';
import { readLogTail } from '../../log/revision-high-water.js';
import { textHash } from '../../log/trail.js';
import { withStateLock } from '../../lock/lock.js';
import { stateFilePath } from '../../state/paths.js';
import { applyLinePatches, linePatch, type LinePatch } from '../../text/line-patch.js';
import type { EngineSettings } from '../engine-config.js';
import type { EngineWrite, StateEngine } from '../state-engine.js';
import { hidePassword, parseRedisUrl, RedisConnection } from './redis-connection.js';
import { projectKeys, type ProjectKeys } from './redis-keys.js';
import { parseHolder, withSharedLock, type SharedHold, type SharedLockHolder } from './redis-lock.js';
import { COMMIT, COMPACT, READ, SEED } from './redis-scripts.js';
import { ScriptRunner } from './script-runner.js';

/**
 * The state on Redis (docs/distributed.md). Redis holds the head (revision + hash of its text), every
 * revision since the last snapshot (its line patch, or its whole text, and the audit lines its writer
 * appended) and that snapshot. Each host's state file and audit log are projections: before every
 * read and write a host applies what it lacks, so every host's files are byte for byte the same.
 */

interface Head {
  rev: number;
  sha: string;
}

/** One revision as stored (a member of the `revs` sorted set, scored by `rev`). */
interface StoredRevision {
  rev: number;
  /** The revision it was written on. */
  base: number;
  sha: string;
  /** How the text changed from `base`; absent when `text` holds the whole text. */
  patch?: LinePatch;
  text?: string;
  /** The audit lines its writer appended. */
  log: string;
  op: string;
}

interface StoredSnapshot {
  rev: number;
  sha: string;
  text: string;
  log: string;
}

/** Where this host stands after catching up: the head it saw, and whether its file holds the head's text. */
interface Position extends Head {
  fileIsHead: boolean;
}

export interface EngineStatus {
  url: string;
  where: string;
  project: string;
  reachable: boolean;
  head: number | null;
  local: number | null;
  lag: number | null;
  lock: { holder: SharedLockHolder | null; ttlMs: number } | null;
  storedRevisions: number;
  snapshot: number | null;
}

export class RedisStateEngine implements StateEngine {
  readonly where: string;
  readonly url: string;
  readonly project: string;
  readonly keys: ProjectKeys;
  readonly #redis: RedisConnection;
  readonly #scripts: ScriptRunner;
  readonly #waitReplicas: number;
  #position: Position | null = null;
  /** The shared lock this process holds now: its head spares catch-up a round trip, and the commit releases it. */
  #hold: SharedHold | null = null;

  private constructor(settings: EngineSettings, project: string) {
    const target = parseRedisUrl(settings.url, settings.source);
    this.where = target.where;
    this.url = hidePassword(settings.url);
    this.project = project;
    this.keys = projectKeys(project);
    this.#redis = new RedisConnection(target);
    this.#scripts = new ScriptRunner(this.#redis);
    this.#waitReplicas = settings.waitReplicas;
  }

  static async open(paracRoot: string, settings: EngineSettings): Promise<RedisStateEngine> {
    parseRedisUrl(settings.url, settings.source);
    return new RedisStateEngine(settings, settings.prefix ?? projectName(paracRoot));
  }

  async close(): Promise<void> {
    await this.#redis.close();
  }

  hold<T>(options: { timeoutMs: number }, fn: () => Promise<T>): Promise<T> {
    return withSharedLock(this.#redis, this.#scripts, this.keys, options, async (hold) => {
      this.#hold = hold;
      try {
        return await fn();
      } finally {
        if (this.#hold === hold) this.#hold = null;
      }
    });
  }

  async isCurrent(paracRoot: string): Promise<boolean> {
    const text = readTextIfExistsSync(stateFilePath(paracRoot));
    const [head, tail] = await Promise.all([this.#readHead(), readLogTail(paracRoot, { findTrail: false })]);
    return isAtHead(hashOf(text), tail.highWater, head);
  }

  async catchUp(paracRoot: string): Promise<void> {
    const file = stateFilePath(paracRoot);
    const text = readTextIfExistsSync(file);
    // The head read when the shared lock was taken is still the head while it is held (a writer that
    // lost its lease and commits anyway is refused at the commit, which compares again).
    const taken = this.#hold?.head;
    let [head, tail] = await Promise.all([
      taken !== undefined && taken[0] !== '' ? { rev: Number(taken[0]), sha: taken[1] } : this.#readHead(),
      readLogTail(paracRoot),
    ]);
    const fileSha = hashOf(text);
    if (isAtHead(fileSha, tail.highWater, head)) {
      this.#position = { ...head, fileIsHead: true };
      return;
    }
    const fileRev = text === null ? -1 : revisionOf(text, file);
    const from = Math.max(0, Math.min(fileRev, tail.highWater + 1));
    // The head may have moved since it was read above: take it again, with its revisions, at one instant.
    const read = await this.#scripts.run<string[]>(READ, [this.keys.head, this.keys.revs], [String(from)]);
    if (read.length < 2) throw this.#notSeeded();
    head = { rev: Number(read[0]), sha: read[1]! };
    const stored = read.slice(2).map((member) => JSON.parse(member) as StoredRevision);
    let snapshot: StoredSnapshot | null = null;
    const loadSnapshot = async () => {
      snapshot ??= await this.#readSnapshot();
      return snapshot;
    };
    const afterSnapshot = (start: string, snap: StoredSnapshot) =>
      applyRevisions(
        start,
        stored.filter((r) => r.rev > snap.rev),
      );

    // The file: already the head, a stored revision to continue from, older than Redis keeps, or an edit.
    let next: string | null = null;
    let fileIsHead = fileSha === head.sha;
    if (!fileIsHead && text !== null && fileSha !== null) {
      const at = stored.findIndex((r) => r.sha === fileSha);
      if (at !== -1) {
        next = applyRevisions(text, stored.slice(at + 1));
      } else {
        const snap = await loadSnapshot();
        if (snap.sha === fileSha) next = afterSnapshot(text, snap);
        else if (fileRev < snap.rev) next = afterSnapshot(snap.text, snap);
        else this.#acceptLocalEdit(file, fileRev, head, tail.lastTrail, stored, snap);
      }
    } else if (text === null) {
      const snap = await loadSnapshot();
      next = afterSnapshot(snap.text, snap);
    }
    if (next !== null) {
      if (textHash(next) !== head.sha) {
        throw new EngineError(
          'ENGINE_LINEAGE',
          this.where,
          `Redis at ${this.where}: replaying the stored revisions up to ${head.rev} does not give the head's text (its history is damaged); nothing was written. \`paracle engine seed --force\` makes this host's file the head`,
        );
      }
      await writeFileAtomic(file, next);
      fileIsHead = true;
    }

    // The audit log: every revision it lacks, with the snapshot first when the gap reaches past what is stored.
    if (tail.highWater < head.rev) {
      let lines = '';
      const firstBase = stored.find((r) => r.rev > tail.highWater)?.base ?? head.rev;
      let after = tail.highWater;
      if (firstBase > tail.highWater) {
        const snap = await loadSnapshot();
        if (snap.rev > tail.highWater) {
          lines += snap.log;
          after = snap.rev;
        }
      }
      for (const r of stored) if (r.rev > after) lines += r.log;
      await appendAuditLines(paracRoot, lines);
    }
    this.#position = { ...head, fileIsHead };
  }

  async commit(_paracRoot: string, write: EngineWrite): Promise<void> {
    const position = this.#position;
    if (position === null) throw new Error('the Redis engine commits only after catching up');
    const sha = textHash(write.text);
    const op = randomUUID();
    const stored: StoredRevision = {
      rev: write.revision,
      base: position.rev,
      sha,
      ...(position.fileIsHead ? { patch: linePatch(write.previousText, write.text) } : { text: write.text }),
      log: write.log,
      op,
    };
    const hold = this.#hold;
    const args = [
      String(position.rev),
      position.sha,
      String(write.revision),
      sha,
      JSON.stringify(stored),
      op,
      hold?.value ?? '',
      this.keys.released,
    ];
    const keys = [this.keys.head, this.keys.revs, this.keys.ops, this.keys.lock];
    let reply: string[];
    try {
      reply = await this.#scripts.run<string[]>(COMMIT, keys, args);
    } catch (error) {
      // The reply may be lost after Redis applied it: the same operation id again is recognised, never applied twice.
      if (!(error instanceof EngineError)) throw error;
      reply = await this.#scripts.run<string[]>(COMMIT, keys, args);
    }
    if (hold !== null && reply[1] === 'released') hold.released = true;
    if (reply[0] === 'missing') throw this.#notSeeded();
    if (reply[0] === 'moved') {
      this.#position = null;
      throw new StateConflictError(this.keys.head, position.rev, Number(reply[1]), {
        detail: `The shared head on Redis ${this.where} moved to revision ${reply[1]} while this write was prepared on revision ${position.rev} (its lock expired: paused past its TTL?); nothing was written. Retry.`,
      });
    }
    this.#position = { rev: write.revision, sha, fileIsHead: true };
    if (hold !== null) this.#hold = null;
    if (this.#waitReplicas > 0) await this.#waitForReplicas(write.revision);
  }

  /** `paracle engine seed`: this host's state becomes the shared head; a head that differs only with `force`. */
  async seed(
    paracRoot: string,
    options: { force: boolean; timeoutMs: number },
  ): Promise<{ revision: number; replaced: Head | null; unchanged: boolean }> {
    const file = stateFilePath(paracRoot);
    return this.hold(options, () =>
      withStateLock(file, { timeoutMs: options.timeoutMs }, async () => {
        const text = readTextIfExistsSync(file);
        if (text === null) throw new StateMissingError(file);
        const parsed = parseStateText(text, file);
        const sha = textHash(text);
        const head = await this.#readHeadOrNull();
        if (head !== null && head.rev === parsed.revision && head.sha === sha)
          return { revision: head.rev, replaced: null, unchanged: true };
        if (head !== null && !options.force) {
          throw new EngineError(
            'ENGINE_LINEAGE',
            this.where,
            `Redis at ${this.where} already holds revision ${head.rev} of project "${this.project}", which is not this host's revision ${parsed.revision}; \`paracle engine seed --force\` replaces it (hosts on the old head then refuse until they are reseeded or re-cloned)`,
          );
        }
        const snapshot = snapshotOf(parsed, sha, 'engine_seed', `Seeded the shared state on Redis from revision ${parsed.revision}`);
        await this.#scripts.run(
          SEED,
          [this.keys.head, this.keys.revs, this.keys.ops, this.keys.snapshot],
          [String(parsed.revision), sha, JSON.stringify(snapshot)],
        );
        this.#position = { rev: parsed.revision, sha, fileIsHead: true };
        return { revision: parsed.revision, replaced: head, unchanged: false };
      }),
    );
  }

  async status(paracRoot: string): Promise<EngineStatus> {
    const file = stateFilePath(paracRoot);
    const text = readTextIfExistsSync(file);
    const [head, lockValue, pttl, stored, snapshotJson] = await Promise.all([
      this.#readHeadOrNull(),
      this.#redis.call<string | null>(['GET', this.keys.lock]),
      this.#redis.call<number>(['PTTL', this.keys.lock]),
      this.#redis.call<number>(['ZCARD', this.keys.revs]),
      this.#redis.call<string | null>(['GET', this.keys.snapshot]),
    ]);
    const local = text === null ? null : revisionOf(text, file);
    return {
      url: this.url,
      where: this.where,
      project: this.project,
      reachable: true,
      head: head?.rev ?? null,
      local,
      lag: head !== null && local !== null ? head.rev - local : null,
      lock: lockValue === null ? null : { holder: parseHolder(lockValue), ttlMs: pttl },
      storedRevisions: stored,
      snapshot: snapshotJson === null ? null : (JSON.parse(snapshotJson) as StoredSnapshot).rev,
    };
  }

  /** `paracle engine compact --keep N`: a snapshot of revision head − N; older revisions are dropped from Redis. */
  async compact(options: { keep: number; timeoutMs: number }): Promise<{ snapshot: number; dropped: number }> {
    return this.hold(options, async () => {
      const head = await this.#readHead();
      const snap = await this.#readSnapshot();
      const target = head.rev - options.keep;
      const stored = await this.#readRevisions(snap.rev + 1);
      const covered = stored.filter((r) => r.rev <= target);
      if (covered.length === 0) return { snapshot: snap.rev, dropped: 0 };
      const last = covered.at(-1)!;
      const text = applyRevisions(snap.text, covered);
      const next = snapshotOf(
        parseStateText(text, `revision ${last.rev} on Redis`),
        last.sha,
        'engine_snapshot',
        `Snapshot of revision ${last.rev} on Redis; the revisions before it were dropped there`,
      );
      const dropped = await this.#scripts.run<number>(
        COMPACT,
        [this.keys.head, this.keys.revs, this.keys.ops, this.keys.snapshot],
        [String(last.rev), JSON.stringify(next), ...covered.map((r) => r.op)],
      );
      return { snapshot: last.rev, dropped };
    });
  }

  async #readHeadOrNull(): Promise<Head | null> {
    const [rev, sha] = await this.#redis.call<[string | null, string | null]>(['HMGET', this.keys.head, 'rev', 'sha']);
    return rev === null || sha === null ? null : { rev: Number(rev), sha };
  }

  async #readHead(): Promise<Head> {
    const head = await this.#readHeadOrNull();
    if (head === null) throw this.#notSeeded();
    return head;
  }

  async #readRevisions(from: number): Promise<StoredRevision[]> {
    const members = await this.#redis.call<string[]>(['ZRANGEBYSCORE', this.keys.revs, String(from), '+inf']);
    return members.map((member) => JSON.parse(member) as StoredRevision);
  }

  async #readSnapshot(): Promise<StoredSnapshot> {
    const json = await this.#redis.call<string | null>(['GET', this.keys.snapshot]);
    if (json === null) throw this.#notSeeded();
    return JSON.parse(json) as StoredSnapshot;
  }

  #notSeeded(): EngineError {
    return new EngineError(
      'ENGINE_NOT_SEEDED',
      this.where,
      `Redis at ${this.where} holds no state for project "${this.project}" (never seeded, or its data was lost: a restart without persistence, FLUSHALL); nothing was written. \`paracle engine seed\` uploads this host's state`,
    );
  }

  /**
   * The file matches no stored revision. That is an edit made here outside paracle (a hand edit, the
   * Python tooling) on top of the head, when this host's audit trail says its last revision is the
   * head: the next write publishes it whole. Anything else is another history: refused.
   */
  #acceptLocalEdit(
    file: string,
    fileRev: number,
    head: Head,
    lastTrail: { revision: number; sha: string } | null,
    stored: readonly StoredRevision[],
    snapshot: StoredSnapshot,
  ): void {
    const known = (rev: number, sha: string) =>
      (rev === head.rev && sha === head.sha) ||
      (rev === snapshot.rev && sha === snapshot.sha) ||
      stored.some((r) => r.rev === rev && r.sha === sha);
    if (lastTrail !== null && lastTrail.revision === head.rev && known(lastTrail.revision, lastTrail.sha)) return;
    const reason =
      fileRev > head.rev
        ? `this host's ${file} is at revision ${fileRev}, above Redis's head ${head.rev}: Redis lost data (a restart without persistence, a failover) or another project seeded this prefix`
        : lastTrail !== null && known(lastTrail.revision, lastTrail.sha)
          ? `${file} was edited outside paracle at revision ${lastTrail.revision}, and Redis has moved on to revision ${head.rev}: keep your edit elsewhere, restore the file (git checkout) and redo it`
          : `${file} (revision ${fileRev}) does not continue the history Redis holds for project "${this.project}" (head ${head.rev}): another project's seed, or Redis was flushed and reseeded`;
    throw new EngineError(
      'ENGINE_LINEAGE',
      this.where,
      `Redis at ${this.where}: ${reason}; nothing was written. \`paracle engine seed --force\` makes this host's file the head`,
    );
  }

  async #waitForReplicas(revision: number): Promise<void> {
    const acked = await this.#redis.call<number>(['WAIT', String(this.#waitReplicas), '1000']);
    if (acked < this.#waitReplicas) {
      process.emitWarning(
        `revision ${revision} is on Redis ${this.where}, but only ${acked} of ${this.#waitReplicas} replicas acknowledged it within 1 s: a failover now could lose it`,
        { code: 'PARACLE_WARNING' },
      );
    }
  }
}

/** A snapshot of a parsed text, with the audit line (a trail snapshot) a host appends when it loads it. */
function snapshotOf(parsed: ParsedState, sha: string, changeType: string, description: string): StoredSnapshot {
  const log = formatStateChanges([{ change_type: changeType, description, revision: parsed.revision, sha, data: parsed.data }]);
  return { rev: parsed.revision, sha, text: parsed.text, log };
}

/** Whether a host's state file (by its hash; null: none) and its audit log's high-water mark already are `head`. */
function isAtHead(fileSha: string | null, highWater: number, head: Head): boolean {
  return fileSha === head.sha && highWater >= head.rev;
}

function hashOf(text: string | null): string | null {
  return text === null ? null : textHash(text);
}

/** The text after `revisions` (in order): from the last one stored whole, then the patches after it, in one pass. */
function applyRevisions(text: string, revisions: readonly StoredRevision[]): string {
  const lastWhole = revisions.findLastIndex((r) => r.text !== undefined);
  const start = lastWhole === -1 ? text : revisions[lastWhole]!.text!;
  return applyLinePatches(
    start,
    revisions.slice(lastWhole + 1).map((r) => r.patch ?? []),
  );
}

function revisionOf(text: string, file: string): number {
  return readEntries(text, file, []).revision;
}

function projectName(paracRoot: string): string {
  const file = stateFilePath(paracRoot);
  const text = readTextIfExistsSync(file);
  const name = text === null ? undefined : readEntries(text, file, ['project']).data.project;
  const value = (name as { name?: unknown } | undefined)?.name;
  if (typeof value === 'string' && value.trim() !== '') return value.trim();
  throw new EngineError(
    'ENGINE_URL',
    file,
    `cannot name this project's keys on Redis: ${file} has no project.name; set PARACLE_REDIS_PREFIX or redis.prefix in .parac/config/engine.yaml`,
  );
}
