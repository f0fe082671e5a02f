import type { Command } from 'commander';
import type { GlobalOptions } from './main.js';

/** `paracle uninstall`: take back what `paracle install` added to this project. */
export function register(program: Command): void {
  program
    .command('uninstall')
    .description('remove what `paracle install` added: hook blocks, the merge driver, scripts.prepare (your own lines stay)')
    .addHelpText(
      'after',
      "\nRun it where package.json lists paracle-hooks. core.hooksPath and husky's runner go too when no hook script\n" +
        'of yours is left in the husky folder. .parac/ and the .gitignore rules that keep its local files out of\n' +
        'commits stay. Then `npm uninstall paracle-hooks` if you no longer use the library.',
    )
    .action(async (_options: unknown, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { runUninstallCommand } = await import('./uninstall-command.js');
      await runUninstallCommand({ quiet: globals.quiet, json: globals.json });
    });
}
