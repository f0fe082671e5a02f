import type { Command } from 'commander';
import { integerOption } from './command-context.js';

/**
 * The state's history from the audit trail (issue 14): `show`, `history`, `replay --check`, `revert`.
 * The logic is in src/history/; these actions only read options and print.
 */
export function register(program: Command): void {
  program
    .command('show')
    .description('print the state as of a revision, rebuilt from the audit trail (default: the latest)')
    .option('--revision <n>', 'the revision to show', integerOption('--revision', 0))
    .addHelpText('after', '\nYAML on stdout; with --json, { revision, data }. Exit 1 naming why when the trail cannot rebuild it.')
    .action(async (options: { revision?: number }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { stateAt } = await import('../history/history.js');
      const context = commandContext(command);
      const state = await stateAt(context.root, options.revision);
      if (context.json) context.printJson(state);
      else {
        const { Document } = await import('yaml');
        process.stdout.write(new Document(state.data).toString({ lineWidth: 0 }));
      }
    });

  program
    .command('history')
    .description('every change to a key or below it, newest first: revision, time, process, change type, value before → after')
    .argument('<key>', 'dotted key path, e.g. current_phase.progress or blockers')
    .option('--limit <n>', 'how many changes (default: all)', integerOption('--limit', 1))
    .action(async (key: string, options: { limit?: number }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { keyHistory } = await import('../history/history.js');
      const context = commandContext(command);
      const changes = await keyHistory(context.root, key, { limit: options.limit });
      if (context.json) context.printJson(changes);
      else if (changes.length === 0) context.say(`paracle: no recorded change to ${key} in the audit trail`);
      else {
        const value = (v: unknown) => (v === undefined ? '(absent)' : JSON.stringify(v));
        context.say(
          changes
            .map(
              (c) =>
                `r${c.revision}  ${c.timestamp}  pid ${c.process_id}  ${c.change_type}\n  ${value(c.before)} → ${value(c.after)}\n  ${c.description}`,
            )
            .join('\n'),
        );
      }
    });

  program
    .command('replay')
    .description('rebuild the latest revision from the audit trail and compare it with the state file')
    .requiredOption('--check', 'compare with the file: exit 0 when equal, 1 naming each key that differs')
    .action(async (_options: unknown, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { replayState } = await import('../history/history.js');
      const { CliExit, EXIT } = await import('./exit-codes.js');
      const context = commandContext(command);
      const check = await replayState(context.root);
      if (context.json) {
        context.printJson({
          ok: check.ok,
          trail: check.trail,
          revision: check.rebuilt?.revision ?? null,
          file_revision: check.fileRevision,
          gap: check.gap,
          differing: check.differing,
        });
      } else if (!check.trail) context.say('paracle: the audit log holds no trail yet; nothing to check (the next save starts one)');
      else if (check.ok) context.say(`paracle: revision ${check.rebuilt?.revision} rebuilt from the audit trail matches the state file`);
      else if (check.gap !== null) process.stderr.write(`paracle: cannot rebuild the latest revision: ${check.gap}\n`);
      else {
        process.stderr.write(
          `paracle: ${context.stateFile} differs from revision ${check.rebuilt?.revision} rebuilt from the audit trail:\n`,
        );
        for (const key of check.differing) process.stderr.write(`  ${key}\n`);
      }
      if (!check.ok) throw new CliExit(EXIT.failed);
    });

  program
    .command('revert')
    .description("write a new revision undoing revision N's changes, where later revisions left the same values alone")
    .argument('<revision>', 'the revision to undo', integerOption('<revision>', 0))
    .option('--dry-run', 'say what would change; write nothing')
    .addHelpText('after', '\nExit 4, writing nothing, when a later revision changed any of the same values (named on stderr).')
    .action(async (revision: number, options: { dryRun?: boolean }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { revertRevision } = await import('../history/history.js');
      const context = commandContext(command);
      const result = await revertRevision(context.root, revision, { dryRun: options.dryRun, timeout: context.timeout });
      if (context.json) {
        context.printJson({ reverted: result.reverted, revision: result.revision, keys: result.keys, dry_run: options.dryRun === true });
      } else if (result.keys.length === 0) context.say(`paracle: revision ${revision} changed nothing that is still there to undo`);
      else if (options.dryRun) context.say(`paracle: reverting revision ${revision} would change ${result.keys.join(', ')}`);
      else context.say(`paracle: revision ${result.revision} reverts revision ${revision}: ${result.keys.join(', ')}`);
    });
}
