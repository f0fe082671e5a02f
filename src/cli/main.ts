import { Command, CommanderError } from 'commander';
import { createRequire } from 'node:module';
import { EXIT } from './exit-codes.js';
import { exitForError } from './exit-for-error.js';
import { failureJson, jsonResultWritten, writeJsonResult } from './json-output.js';
import { renderLibraryWarnings } from './library-warnings.js';
import { checkTimeoutVariable, parseSeconds } from './seconds.js';

/**
 * The single place that turns errors into exit codes and one-line messages.
 * Command modules stay light at import time: each `register` only declares options, and loads
 * the state core, git and so on inside its action, so `paracle --version` pays for none of it.
 */
type Register = (program: Command) => void;

const commandModules: Array<() => Promise<{ register: Register }>> = [
  // One line per command file; keep sorted.
  () => import('./engine.js'),
  () => import('./history.js'),
  () => import('./hook.js'),
  () => import('./init.js'),
  () => import('./install.js'),
  () => import('./lock.js'),
  () => import('./log.js'),
  () => import('./merge-driver.js'),
  () => import('./remerge.js'),
  () => import('./schema.js'),
  () => import('./session.js'),
  () => import('./status.js'),
  () => import('./sync.js'),
  () => import('./uninstall.js'),
  () => import('./validate.js'),
  () => import('./verify.js'),
];

export interface GlobalOptions {
  root?: string;
  timeout?: number;
  json?: boolean;
  quiet?: boolean;
  verbose?: boolean;
}

function packageVersion(): string {
  const require = createRequire(import.meta.url);
  return (require('../../package.json') as { version: string }).version;
}

export function buildProgram(): Command {
  const program = new Command('paracle');
  program
    .description('Keep .parac/memory/context/current_state.yaml correct under concurrent writers.')
    .version(packageVersion(), '-V, --version')
    .option('--root <dir>', 'the .parac directory (default: found from the current directory)')
    .option('--timeout <seconds>', 'lock timeout in seconds (default: PARACLE_TIMEOUT or 10)', (value) => parseSeconds(value, '--timeout'))
    .option('--json', 'machine-readable output')
    .option('-q, --quiet', 'print only errors')
    .option('--verbose', 'show stack traces on errors')
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) })
    .hook('preAction', (_program, action) => {
      // PARACLE_TIMEOUT is checked like --timeout, unless --timeout overrides it. Not for the merge
      // driver: git runs it, it takes no lock, and a merge must not fail over an unrelated setting.
      if (action.name() !== 'merge-driver' && action.optsWithGlobals<GlobalOptions>().timeout === undefined) checkTimeoutVariable();
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  renderLibraryWarnings();
  // `paracle log | head` closes the pipe early: the reader chose to stop, which is not a failure.
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok);
    process.stderr.write(`paracle: cannot write the output: ${error.message}\n`);
    process.exit(EXIT.failed);
  });
  const program = buildProgram();
  const wantsVersion = argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V');
  if (!wantsVersion) {
    for (const load of commandModules) (await load()).register(program);
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    // Help and version end here too, with exit code 0; commander has printed its own message.
    const exitCode =
      error instanceof CommanderError
        ? error.exitCode === 0
          ? EXIT.ok
          : EXIT.usage
        : exitForError(error, { verbose: argv.includes('--verbose') });
    if (exitCode !== EXIT.ok && wantsJson(argv) && !jsonResultWritten()) writeJsonResult(failureJson(error, exitCode));
    return exitCode;
  }
}

/** `--json` among the options (not after `--`, where it would be an argument). */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end === -1 ? argv : argv.slice(0, end)).includes('--json');
}
