import { Option, type Command } from 'commander';
import type { GlobalOptions } from './main.js';

/** `paracle hook pre-commit|post-merge [args]`: what git's hooks run, by hand or in CI. */
export function register(program: Command): void {
  program
    .command('hook')
    .description('run the pre-commit or post-merge hook work here, as git would (by hand or in CI)')
    .argument('<name>', 'pre-commit or post-merge')
    .argument('[args...]', 'the arguments git passes the hook (post-merge: 1 after a squash merge, else 0)')
    .option('--dry-run', 'print the would-be change as a unified diff and write nothing')
    // Set by the entry points git runs: the cwd is then the worktree top, so no `git rev-parse`.
    .addOption(new Option('--from-git').hideHelp())
    .addHelpText(
      'after',
      '\nExit codes: 0 done (or nothing to do), 1 failed, 2 usage, 3 the state lock stayed busy past --timeout.\n' +
        'HUSKY=0 or PARACLE=0 turns the installed git hooks off.',
    )
    .action(async (name: string, args: string[], options: { dryRun?: boolean; fromGit?: boolean }, command: Command) => {
      const globals = command.optsWithGlobals<GlobalOptions>();
      const { runHookCommand } = await import('./hook-command.js');
      await runHookCommand(name, args, {
        root: globals.root,
        timeout: globals.timeout,
        json: globals.json,
        quiet: globals.quiet,
        dryRun: options.dryRun,
        fromGit: options.fromGit,
      });
    });
}
