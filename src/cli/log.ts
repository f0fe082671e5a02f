import type { Command } from 'commander';
import { integerOption } from './command-context.js';

/** `paracle log`: the audit trail, newest first; `paracle log prune`: drop old entries. */
export function register(program: Command): void {
  const log = program
    .command('log')
    .description('show the newest entries of the audit log (.parac/memory/logs/state_changes.jsonl)')
    .option('--limit <n>', 'how many entries (default 20)', integerOption('--limit', 1))
    .action(async (options: { limit?: number }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { readAuditLog } = await import('../log/audit-log.js');
      const { newestFirst } = await import('../log/audit-entry.js');
      const { formatAuditEntry } = await import('./audit-format.js');
      const context = commandContext(command);
      // The whole log, ordered by time: the Python tooling appends too, and a union merge puts one branch's lines after the other's.
      await (await import('../engine/state-engine.js')).catchUpWithEngine(context.root, context.timeout);
      const entries = newestFirst((await readAuditLog(context.root)).entries).slice(0, options.limit ?? 20);
      if (context.json) context.printJson(entries);
      else if (entries.length === 0) context.say('paracle: the audit log is empty');
      else context.say(entries.map(formatAuditEntry).join('\n'));
    });

  log
    .command('prune')
    .description(
      'remove entries older than --keep-days days (the log is rewritten atomically, under the lock); the history trail keeps a snapshot where it now starts',
    )
    .requiredOption('--keep-days <days>', 'keep entries from the last N days', integerOption('--keep-days', 0))
    .action(async (options: { keepDays: number }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { pruneAuditLog } = await import('../log/audit-log.js');
      const context = commandContext(command);
      const result = await pruneAuditLog(context.root, options.keepDays);
      const { removed } = result;
      if (context.json) {
        context.printJson({
          success: true,
          removed,
          keep_days: options.keepDays,
          snapshot_revision: result.snapshotRevision,
          dropped: result.dropped,
        });
        return;
      }
      context.say(
        `paracle: removed ${removed} entr${removed === 1 ? 'y' : 'ies'} older than ${options.keepDays} day${options.keepDays === 1 ? '' : 's'}` +
          (result.snapshotRevision === null ? '' : `; the history now starts at a snapshot of revision ${result.snapshotRevision}`),
      );
      if (result.dropped !== null) context.warn(result.dropped);
    });
}
