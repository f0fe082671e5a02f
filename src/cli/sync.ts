import type { Command } from 'commander';
import { relative } from 'node:path';

/** `paracle sync`: repository facts, file metrics and roadmap alignment into the state. */
export function register(program: Command): void {
  program
    .command('sync')
    .description('update repository info, file metrics and roadmap alignment in the state')
    .option('--no-git', 'skip repository.branch, repository.last_commit, repository.has_uncommitted_changes')
    .option('--no-metrics', 'skip the file counts in metrics (globs: .parac/config/metrics.yaml)')
    .option('--no-roadmap', 'skip the roadmap alignment check')
    .option('--git', 'include repository info (default)')
    .option('--metrics', 'include file counts (default)')
    .option('--roadmap', 'include the roadmap check (default)')
    .option('--auto-fix', 'apply the safe roadmap fixes')
    .option('--dry-run', 'print the unified diff it would write, and write nothing')
    .addHelpText(
      'after',
      '\nThe slow part (git, file listing) runs before the lock is taken; if another process saved meanwhile,\n' +
        'both changes are merged (a `reconcile` entry in the audit log). --json prints { success, changes, errors }.',
    )
    .action(
      async (options: { git: boolean; metrics: boolean; roadmap: boolean; autoFix?: boolean; dryRun?: boolean }, command: Command) => {
        const { commandContext } = await import('./command-context.js');
        const { runSync, describeChanges } = await import('../sync/run-sync.js');
        const { CliExit, EXIT } = await import('./exit-codes.js');
        const context = commandContext(command);
        const report = await runSync(context, options);
        if (context.json) context.printJson(report);
        else {
          for (const warning of report.warnings) context.warn(warning);
          for (const error of report.errors) process.stderr.write(`paracle: ${error.source}: ${error.message}\n`);
          const shown = relative(process.cwd(), context.stateFile) || context.stateFile;
          if (report.changes.length === 0) context.say(`paracle: ${shown} is in sync (rev ${report.revision})`);
          else if (report.dry_run) process.stdout.write(context.quiet ? '' : (report.diff ?? ''));
          else {
            const merged = report.reconciled ? ', merged with a concurrent save' : '';
            context.say(
              `paracle: ${shown} rev ${report.previous_revision} → ${report.revision}${merged} (${describeChanges(report.changes)})`,
            );
          }
        }
        if (!report.success) throw new CliExit(EXIT.failed);
      },
    );
}
