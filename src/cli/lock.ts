import type { Command } from 'commander';

/** `paracle lock status|clear`: who holds the state lock, and removing one whose holder is gone. */
export function register(program: Command): void {
  const lock = program.command('lock').description('inspect or clear the state file lock');
  lock
    .command('status')
    .description('free, held (holder pid, host, command, age) or stale')
    .action(async (_options: unknown, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { readLockStatus } = await import('../lock/lock.js');
      const { describeLockStatus } = await import('./lock-format.js');
      const context = commandContext(command);
      const status = await readLockStatus(context.stateFile);
      if (context.json) context.printJson(status);
      else context.say(describeLockStatus(status));
    });
  lock
    .command('clear')
    .description('remove a stale lock; a live one is refused unless --force')
    .option('--force', 'take the lock from a live holder (its write is abandoned before it lands)')
    .action(async (options: { force?: boolean }, command: Command) => {
      const { commandContext } = await import('./command-context.js');
      const { clearLock } = await import('../lock/lock.js');
      const { describeLockStatus } = await import('./lock-format.js');
      const context = commandContext(command);
      let found: Awaited<ReturnType<typeof clearLock>>;
      try {
        found = await clearLock(context.stateFile, { force: options.force === true });
      } catch (error) {
        if ((error as { code?: unknown }).code !== 'STATE_LOCK_HELD') throw error;
        const { ParacleError } = await import('../errors.js');
        const reason = (error as Error).message.replace(/\s*\(use force to take it anyway\)\.?$/, '.');
        throw new ParacleError(
          'STATE_LOCK_HELD',
          `${reason} \`paracle lock clear --force\` takes it anyway (its holder's write is then abandoned).`,
        );
      }
      if (context.json) context.printJson({ success: true, removed: found.state !== 'free', found });
      else
        context.say(
          found.state === 'free'
            ? 'paracle: no lock to clear'
            : `paracle: removed the lock (${describeLockStatus(found, { hint: false })})`,
        );
    });
}
