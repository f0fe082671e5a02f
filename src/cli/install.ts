import type { Command } from 'commander';
import type { GlobalOptions } from './main.js';

/** `paracle install`: set up husky and this toolkit's git hooks in the current project. */
export function register(program: Command): void {
  program
    .command('install')
    .description('set up husky and the pre-commit / post-merge hooks in this project (idempotent)')
    .addHelpText(
      'after',
      '\nRun it where package.json lists paracle-hooks as a devDependency; it also makes `npm install` redo it\n' +
        '(scripts.prepare). HUSKY=0 or PARACLE=0 skips it. Under npm (prepare) a failure is a warning, never\n' +
        'a failed install.',
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { runInstallCommand } = await import('./install-command.js');
      await runInstallCommand({ quiet: globals.quiet, json: globals.json });
    });
}
