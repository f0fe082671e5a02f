import { CliExit, EXIT, type ExitCode } from './exit-codes.js';

/**
 * The one mapping from errors to exit codes and one-line messages, shared by the `paracle`
 * program and the git hook entry (which skips commander to start faster). No stack trace unless
 * `verbose`: a person reading a commit's output needs the cause and what to do.
 */
export function exitForError(error: unknown, options: { verbose?: boolean } = {}): ExitCode {
  if (error instanceof CliExit) {
    if (error.message) process.stderr.write(`paracle: ${error.message}\n`);
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`paracle: ${message.split('\n')[0]}\n`);
  if (options.verbose && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'STATE_LOCK_TIMEOUT') return EXIT.lockTimeout;
  if (code === 'STATE_CONFLICT') return EXIT.conflict;
  if (code === 'ENGINE_UNAVAILABLE') return EXIT.engineUnavailable;
  if (code === 'ENGINE_URL') return EXIT.usage;
  return EXIT.failed;
}
