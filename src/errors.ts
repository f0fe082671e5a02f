/**
 * Every failure a caller may want to act on is a typed error with a stable `code`.
 * Only the CLI entry point turns them into exit codes and one-line messages.
 */
export class ParacleError extends Error {
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
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

  constructor(message: string, file: string, holder: LockHolder | null = null, options?: { cause?: unknown }) {
    super('STATE_LOCK_TIMEOUT', message, options);
    this.file = file;
    this.holder = holder;
  }
}

export class StateConflictError extends ParacleError {
  readonly file: string;
  readonly expectedRevision: number;
  readonly actualRevision: number;
  /** Keys that could not be merged, when a reconcile gave up. */
  readonly keys: string[];

  constructor(
    file: string,
    expectedRevision: number,
    actualRevision: number,
    options: { keys?: string[]; detail?: string } = {},
  ) {
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

export class StateWriteError extends ParacleError {
  readonly file: string;

  constructor(file: string, reason: string, options?: { cause?: unknown }) {
    super('STATE_WRITE', `${file}: ${reason}`, options);
    this.file = file;
  }
}
