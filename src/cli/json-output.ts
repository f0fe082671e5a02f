import { CliExit, EXIT, type ExitCode } from './exit-codes.js';

/**
 * Under `--json`, stdout holds exactly one JSON object, on success and on failure alike. Commands
 * write theirs through `writeJsonResult`; when a command fails before it wrote one, the CLI writes
 * the error as that object instead (see main.ts), so a script never reads an empty stdout.
 */
let written = false;

export function writeJsonResult(value: unknown, options: { pretty?: boolean } = {}): void {
  written = true;
  process.stdout.write(`${options.pretty === false ? JSON.stringify(value) : JSON.stringify(value, null, 2)}\n`);
}

export function jsonResultWritten(): boolean {
  return written;
}

/** The object a failed command prints under `--json`; position fields are null when the error has none. */
export interface JsonFailure {
  ok: false;
  error: { code: string; message: string; file: string | null; line: number | null; column: number | null };
}

/**
 * What `--json` prints for a failure: the error's stable `code` (`USAGE` for a usage error,
 * `FAILED` for a failure the command described itself) and one-line message, with the file, line
 * and column it names (null when it names none).
 */
export function failureJson(error: unknown, exitCode: ExitCode): JsonFailure {
  const fields = (error ?? {}) as { code?: unknown; file?: unknown; line?: unknown; column?: unknown };
  const message = (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
  let code = typeof fields.code === 'string' ? fields.code : 'UNEXPECTED';
  // commander's errors (by their code, without loading commander here: the hooks bundle imports this file).
  if (code.startsWith('commander.') || (error instanceof CliExit && exitCode === EXIT.usage)) code = 'USAGE';
  else if (error instanceof CliExit) code = 'FAILED';
  return {
    ok: false,
    error: {
      code,
      message: message.replace(/^error: /, ''),
      file: typeof fields.file === 'string' ? fields.file : null,
      line: typeof fields.line === 'number' ? fields.line : null,
      column: typeof fields.column === 'number' ? fields.column : null,
    },
  };
}
