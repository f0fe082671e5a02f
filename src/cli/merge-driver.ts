import type { Command } from 'commander';
import { integerOption } from './command-context.js';
import type { GlobalOptions } from './main.js';

/**
 * `paracle merge-driver %O %A %B %P`: the git merge driver for current_state.yaml that
 * `paracle install` registers (merge.paracle-state.driver). Exit 0 for a clean merge; 4 (unresolved
 * conflict) when conflict markers were left in %A, which git reports as a conflict.
 */
export function register(program: Command): void {
  program
    .command('merge-driver')
    .description('git merge driver for current_state.yaml (registered by `paracle install`); writes the merge into <current>')
    .argument('<base>', "the common ancestor's version (git's %O)")
    .argument('<current>', "this branch's version, overwritten with the result (git's %A)")
    .argument('<other>', "the other branch's version (git's %B)")
    .argument('[path]', "the file's path in the repository, for messages (git's %P)")
    .option('--marker-size <n>', "length of conflict markers (git's %L)", integerOption('--marker-size', 1, 100), 7)
    .addHelpText(
      'after',
      '\nExit 0 when merged cleanly; 4 when conflict markers were left around the keys both sides changed\n' +
        "differently; git then reports the conflict. A side that is not a valid state gets git's line merge instead.",
    )
    .action(
      async (base: string, current: string, other: string, path: string | undefined, options: { markerSize: number }, command: Command) => {
        const { runMergeDriver, describeMergeOutcome } = await import('../merge-driver/run-merge-driver.js');
        const { CliExit, EXIT } = await import('./exit-codes.js');
        const { writeJsonResult } = await import('./json-output.js');
        const globals = command.optsWithGlobals<GlobalOptions>();
        const outcome = await runMergeDriver({ base, current, other }, { path, markerSize: options.markerSize });
        // The virtual base of a criss-cross merge is git's inner step: said only when asked (--verbose).
        const quiet = outcome.kind === 'virtual-base' ? !globals.verbose : globals.quiet && outcome.kind === 'merged';
        if (globals.json) writeJsonResult(outcome, { pretty: false });
        else if (!quiet) process.stderr.write(`${describeMergeOutcome(outcome)}\n`);
        if (outcome.kind !== 'merged' && outcome.kind !== 'virtual-base') throw new CliExit(EXIT.conflict);
      },
    );
}
