import type { Command } from 'commander';
import { relative } from 'node:path';
import type { SessionEndOptions } from '../sync/session-end.js';
import { integerOption } from './command-context.js';

const collect = (value: string, previous: string[] | undefined) => [...(previous ?? []), value];

/**
 * `paracle session end`: what a working session finished, started and how far the phase got, as one
 * update inside one lock hold — one revision and one `session_end` audit entry, however many items.
 */
export function register(program: Command): void {
  const session = program.command('session').description('record the end of a working session');
  session
    .command('end')
    .description('mark items completed or started and set the phase progress, as one revision')
    .option('--progress <percent>', 'set current_phase.progress (0-100)', integerOption('--progress', 0, 100))
    .option('--complete <item>', 'an item completed in this session (repeatable)', collect)
    .option('--start <item>', 'an item started in this session (repeatable)', collect)
    .option('--dry-run', 'print the change as a unified diff and write nothing')
    .addHelpText('after', '\nExample:\n  paracle session end --complete "API docs" --complete "CLI tests" --start "Release" --progress 60')
    .action(async (options: SessionEndOptions, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { endSession, describeSessionEnd } = await import('../sync/session-end.js');
      const context = commandContext(command);
      const report = await endSession(context, options);
      const { completed, started, progress } = report;
      if (report.dryRun) {
        if (context.json)
          context.printJson({ success: true, dry_run: true, revision: report.revision, completed, started, progress, diff: report.diff });
        else if (!context.quiet) process.stdout.write(report.diff === '' ? 'paracle: nothing to change\n' : report.diff);
        return;
      }
      // Not silenced by --quiet: the state was saved without its audit entry.
      for (const warning of report.warnings) process.stderr.write(`paracle: warning: ${warning}\n`);
      if (context.json) {
        context.printJson({
          success: true,
          changed: report.changed,
          revision: report.revision,
          previous_revision: report.previousRevision,
          completed,
          started,
          progress,
        });
        return;
      }
      const shown = relative(process.cwd(), context.stateFile) || context.stateFile;
      context.say(
        report.changed
          ? `paracle: ${shown} rev ${report.previousRevision} → ${report.revision} (${describeSessionEnd(report)})`
          : 'paracle: nothing to change',
      );
    });
}
