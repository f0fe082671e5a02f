/**
 * Every failure a caller may want to act on is a typed error with a stable `code`.
 * Only the CLI entry point turns them into exit codes and one-line messages.
 */

/** Every `code` an error of this toolkit carries: scripts match on these (`--json` prints them). */
export type ErrorCode =
  | 'AUDIT_ENTRY_INVALID'
  | 'ENGINE_LINEAGE'
  | 'ENGINE_NOT_SEEDED'
  | 'ENGINE_UNAVAILABLE'
  | 'ENGINE_URL'
  | 'GIT_FAILED'
  | 'HOOK_REFUSED'
  | 'HOOK_STEP_FAILED'
  | 'HOOKS_CONFIG'
  | 'HUSKY_FAILED'
  | 'METRICS_CONFIG'
  | 'NO_PACKAGE_JSON'
  | 'NOT_A_GIT_REPOSITORY'
  | 'PACKAGE_JSON_INVALID'
  | 'PARAC_NOT_FOUND'
  | 'REMERGE_FAILED'
  | 'REMERGE_NO_REPOSITORY'
  | 'REMERGE_NOT_A_MERGE'
  | 'REMERGE_NOTHING'
  | 'REMERGE_UNCOMMITTED'
  | 'REMERGE_UNKNOWN_COMMIT'
  | 'ROLLBACK_FAILED'
  | 'STATE_CONFLICT'
  | 'STATE_EXISTS'
  | 'STATE_LOCK_HELD'
  | 'STATE_LOCK_TIMEOUT'
  | 'STATE_MISSING'
  | 'STATE_PARSE'
  | 'STATE_WRITE'
  | 'TOOLKIT_NOT_INSTALLED'
  | 'TRAIL_GAP'
  | 'UNINSTALL_FAILED'
  | 'VERIFY_BASE_UNKNOWN'
  | 'VERIFY_NO_REPOSITORY';

export class ParacleError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** Who holds (or held) the state lock, as recorded inside the lock while it is held. */
export interface LockHolder {
  pid: number;
  host: string;
  command: string;
  /** ISO 8601 time the lock was taken. */
  startedAt: string;
  /** Kernel start time of the holder process (Linux `/proc/<pid>/stat` field 22), to tell a reused pid apart. */
  processStart?: string;
}

export class StateLockError extends ParacleError {
  readonly file: string;
  readonly holder: LockHolder | null;
  /** Who holds it, for people, when there is no holder record: the Python tooling's lock (`pid 123 (python3 …)`). */
  readonly heldBy: string | undefined;

  constructor(message: string, file: string, holder: LockHolder | null = null, options?: { cause?: unknown; heldBy?: string }) {
    super('STATE_LOCK_TIMEOUT', message, options);
    this.file = file;
    this.holder = holder;
    this.heldBy = options?.heldBy;
  }
}

export class StateConflictError extends ParacleError {
  readonly file: string;
  readonly expectedRevision: number;
  readonly actualRevision: number;
  /** Keys that could not be merged, when a reconcile gave up. */
  readonly keys: string[];

  constructor(file: string, expectedRevision: number, actualRevision: number, options: { keys?: string[]; detail?: string } = {}) {
    const keys = options.keys ?? [];
    const detail = options.detail ?? 'State was modified by another process; reload it and retry.';
    super(
      'STATE_CONFLICT',
      `${file}: expected revision=${expectedRevision}, got revision=${actualRevision}. ${detail}` +
        (keys.length > 0 ? ` Keys: ${keys.join(', ')}.` : ''),
    );
    this.file = file;
    this.expectedRevision = expectedRevision;
    this.actualRevision = actualRevision;
    this.keys = keys;
  }
}

export class StateParseError extends ParacleError {
  readonly file: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  /** The bare reason, without the file position prefix. */
  readonly reason: string;

  constructor(file: string, reason: string, position?: { line: number; column: number }, options?: { cause?: unknown }) {
    const where = position ? `${file}:${position.line}:${position.column}` : file;
    super('STATE_PARSE', `${where}: ${reason}`, options);
    this.file = file;
    this.line = position?.line;
    this.column = position?.column;
    this.reason = reason;
  }
}

/** There is no state file at `file` yet (`paracle init` makes one). */
export class StateMissingError extends ParacleError {
  readonly file: string;

  constructor(file: string) {
    super('STATE_MISSING', `${file}: no state file; run \`paracle init\` to create one`);
    this.file = file;
  }
}

export class StateWriteError extends ParacleError {
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('STATE_WRITE', `${file}: ${reason}`, options);
    this.file = file;
  }
}

/** An audit log entry built wrongly by its caller (no change_type, a bad revision, ...); nothing was written. */
export class AuditEntryError extends ParacleError {
  readonly field: string;
  /** Position of the entry in the batch that was being appended. */
  readonly index: number;

  constructor(field: string, index: number, reason: string, options?: { cause?: unknown }) {
    super('AUDIT_ENTRY_INVALID', `audit log entry ${index}: ${field} ${reason}`, options);
    this.field = field;
    this.index = index;
  }
}

/** A git command run by this toolkit failed; `args` and git's own `stderr` say which and why. */
export class GitCommandError extends ParacleError {
  readonly args: readonly string[];
  readonly exitCode: number | null;
  readonly stderr: string;

  constructor(args: readonly string[], exitCode: number | null, stderr: string, message?: string, options?: { cause?: unknown }) {
    const reason = stderr.trim().split('\n')[0] ?? '';
    super('GIT_FAILED', message ?? `git ${subcommand(args)} failed (exit ${exitCode})${reason ? `: ${reason}` : ''}`, options);
    this.args = args;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** The git subcommand in `args`, for messages: `status` in `-c x=y status --porcelain`. */
function subcommand(args: readonly string[]): string {
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-C') i += 1;
    else if (!arg.startsWith('-')) return arg;
  }
  return args[0] ?? '';
}

/** `.parac/config/hooks.yaml` is not valid; the message names the file, the key and what is allowed. */
export class HooksConfigError extends ParacleError {
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('HOOKS_CONFIG', `${file}: ${reason}`, options);
    this.file = file;
  }
}

/** A git hook refused the operation (e.g. a lock file is staged); the message says what to do. */
export class HookRefusedError extends ParacleError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('HOOK_REFUSED', message, options);
  }
}

/** The steps of a hook's own writes, as its messages name them. */
export type HookStep = 'state write' | 'audit trail' | 'changelog' | 'git add';

/**
 * A step of a hook's writes failed, and everything the hook had written was put back: the state file,
 * the changelog, the index and the audit trail are as they were. `file` is the path the step failed on.
 */
export class HookStepError extends ParacleError {
  readonly step: HookStep;
  readonly file: string;
  /** What failed, without the promise that nothing changed (for a RollbackError, when that stopped being true). */
  readonly summary: string;

  constructor(hook: string, step: HookStep, file: string, reason: string, options?: { cause?: unknown }) {
    const summary = `${hook}: ${step} failed for ${file}: ${reason}`;
    super(
      'HOOK_STEP_FAILED',
      `${summary}; nothing was changed (state, changelog, index and audit trail are as before): fix the cause and retry`,
      options,
    );
    this.step = step;
    this.file = file;
    this.summary = summary;
  }
}

/** A write failed and putting back what it had already written failed too; `file` may hold the new revision. */
export class RollbackError extends ParacleError {
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('ROLLBACK_FAILED', `${file}: ${reason}; run \`paracle verify\` to see what is left`, options);
    this.file = file;
  }
}

/** `clearLock` refused to remove a lock whose holder is alive (pass `force` to take it anyway). */
export class StateLockHeldError extends ParacleError {
  readonly file: string;
  readonly holder: LockHolder | null;

  constructor(message: string, file: string, holder: LockHolder | null = null) {
    super('STATE_LOCK_HELD', message);
    this.file = file;
    this.holder = holder;
  }
}

/**
 * Told what went wrong without failing the call (a save written whose audit entry was not; a Python
 * lock that cannot be taken here). The library never prints: the CLI passes a handler that renders.
 */
/**
 * The shared state engine (Redis) cannot be used: unreachable, timing out, refusing the password, not
 * Redis (ENGINE_UNAVAILABLE, exit 5); a URL that does not parse (ENGINE_URL, exit 2); a head that is
 * missing or does not continue what this host has (ENGINE_NOT_SEEDED, ENGINE_LINEAGE). `where` is
 * host:port, never the password.
 */
export class EngineError extends ParacleError {
  readonly where: string;

  constructor(
    code: 'ENGINE_LINEAGE' | 'ENGINE_NOT_SEEDED' | 'ENGINE_UNAVAILABLE' | 'ENGINE_URL',
    where: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.where = where;
  }
}

export type WarningHandler = (message: string) => void;

/** Without a handler, warnings go to node's own channel (`process.on('warning')`), code PARACLE_WARNING. */
export const emitParacleWarning: WarningHandler = (message) => process.emitWarning(message, { code: 'PARACLE_WARNING' });
