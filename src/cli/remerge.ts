import type { Command } from 'commander';

/**
 * `paracle remerge [<merge commit>]`: redo the state file's merge in a merge commit with the merge
 * driver's rules — the repair post-merge names when git merged the state line by line. Exit 0 when
 * merged cleanly; 4 when conflict markers were left around keys both sides changed differently.
 */
export function register(program: Command): void {
  program
    .command('remerge')
    .description("redo the state file's merge in a merge commit key by key (the repair for a merge made without the merge driver)")
    .argument('[commit]', 'the merge commit (default: HEAD)')
    .addHelpText(
      'after',
      '\nWrites the result into the working tree (the file must have no uncommitted changes); commit it, e.g.\n' +
        '`git commit --amend --no-edit` to fold it into the merge. Exit 4 when conflict markers were left.',
    )
    .action(async (commit: string | undefined, _options: unknown, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { remergeState, describeRemerge } = await import('../merge-driver/remerge.js');
      const { CliExit, EXIT } = await import('./exit-codes.js');
      const context = commandContext(command);
      const outcome = await remergeState({ root: context.root, commit, timeout: context.timeout });
      if (context.json) context.printJson(outcome);
      else if (!context.quiet || outcome.kind !== 'merged') for (const line of describeRemerge(outcome)) process.stderr.write(`${line}\n`);
      if (outcome.kind !== 'merged') throw new CliExit(EXIT.conflict);
    });
}
