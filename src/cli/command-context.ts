import { InvalidArgumentError, type Command } from 'commander';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ParacleError } from '../errors.js';
import { findParacRoot, PARAC_DIR, stateFilePath } from '../state/paths.js';
import { writeJsonResult } from './json-output.js';
import type { GlobalOptions } from './main.js';

/**
 * Cheap to import (commander is loaded already; the rest is node builtins): command modules import
 * it at registration for the option parsers.
 *
 * What every command action starts from: the global options and the `.parac/` root they point at.
 * Loaded lazily by the actions (never at registration), so `paracle --version` does not pay for it.
 */
export interface CommandContext {
  root: string;
  stateFile: string;
  /** Lock timeout in seconds; undefined = PARACLE_TIMEOUT or 10. */
  timeout: number | undefined;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  /** A line for people: suppressed by --quiet and by --json (stdout then holds only the JSON). */
  say(line: string): void;
  /** A warning on stderr; suppressed by --quiet. */
  warn(line: string): void;
  printJson(value: unknown): void;
}

export function commandContext(command: Command, options: { rootMustExist?: boolean } = {}): CommandContext {
  const globals = command.optsWithGlobals<GlobalOptions>();
  const root = resolveRoot(globals.root, options.rootMustExist ?? true);
  const json = globals.json === true;
  const quiet = globals.quiet === true;
  return {
    root,
    stateFile: stateFilePath(root),
    timeout: globals.timeout,
    json,
    quiet,
    verbose: globals.verbose === true,
    say: (line) => {
      if (!quiet && !json) process.stdout.write(`${line}\n`);
    },
    warn: (line) => {
      if (!quiet) process.stderr.write(`paracle: warning: ${line}\n`);
    },
    printJson: (value) => writeJsonResult(value),
  };
}

/**
 * `--root` names the `.parac/` directory; a project directory holding one is accepted too.
 * Without it, the nearest `.parac/` from the current directory up, or (when it need not exist yet,
 * for `init`) `./.parac`.
 */
function resolveRoot(option: string | undefined, mustExist: boolean): string {
  if (option !== undefined) {
    const given = resolve(option);
    const nested = join(given, PARAC_DIR);
    const root = !existsSync(join(given, 'memory')) && existsSync(nested) ? nested : given;
    if (mustExist && !existsSync(root)) {
      throw new ParacleError('PARAC_NOT_FOUND', `${root}: no such directory (--root names the .parac directory)`);
    }
    return root;
  }
  const found = findParacRoot();
  if (found !== null) return found;
  if (!mustExist) return resolve(PARAC_DIR);
  throw new ParacleError(
    'PARAC_NOT_FOUND',
    `no .parac/ directory in ${process.cwd()} or above; run \`paracle init\` or pass --root <.parac dir>`,
  );
}

/** Parsers for option values; a bad value is a usage error (exit 2) through commander. */
export function integerOption(name: string, min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${name} takes a whole number from ${min}${max === Number.MAX_SAFE_INTEGER ? ' up' : ` to ${max}`}.`);
    }
    return n;
  };
}
