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
      const { describeLockStatus, describeSharedLock } = await import('./lock-format.js');
      const context = commandContext(command);
      const status = await readLockStatus(context.stateFile);
      // With the Redis engine on, the shared lock matters too: hosts take turns there first.
      const { stateEngineFor } = await import('../engine/state-engine.js');
      const engine = (await stateEngineFor(context.root)) as import('../engine/redis/redis-engine.js').RedisStateEngine | null;
      const shared = engine === null ? undefined : (await engine.status(context.root)).lock;
      if (context.json) context.printJson(shared === undefined ? status : { ...status, redis: shared });
      else {
        context.say(describeLockStatus(status));
        if (engine !== null) context.say(`redis (${engine.where}): ${describeSharedLock(shared ?? null)}`);
      }
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
        const { StateLockHeldError } = await import('../errors.js');
        if (!(error instanceof StateLockHeldError)) throw error;
        // The library's message speaks of its `force` option; the command says what to type instead.
        const ageMs = error.holder ? Math.max(0, Date.now() - Date.parse(error.holder.startedAt)) : 0;
        const held = describeLockStatus({ state: 'held', holder: error.holder, ageMs });
        throw new StateLockHeldError(
          `${error.file} is ${held}, which is still running; not removing a live lock. \`paracle lock clear --force\` takes it anyway (its holder's write is then abandoned).`,
          error.file,
          error.holder,
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
