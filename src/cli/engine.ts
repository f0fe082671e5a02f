import type { Command } from 'commander';
import { integerOption } from './command-context.js';

/** `paracle engine seed|status|compact`: the shared state on Redis (docs/distributed.md). */
export function register(program: Command): void {
  const engine = program.command('engine').description('the shared state on Redis: seed it, inspect it, compact it (PARACLE_REDIS_URL)');
  engine
    .command('seed')
    .description("make this checkout's state the shared head on Redis (a head that differs only with --force)")
    .option('--force', 'replace a head that differs from this checkout (other hosts on it then refuse until reseeded)')
    .action(async (options: { force?: boolean }, command: Command) => {
      const { context, redis, timeoutMs } = await openEngine(command);
      const seeded = await redis.seed(context.root, { force: options.force === true, timeoutMs });
      if (context.json) context.printJson({ success: true, ...seeded, where: redis.where, project: redis.project });
      else if (seeded.unchanged)
        context.say(`paracle: Redis ${redis.where} already holds revision ${seeded.revision} of "${redis.project}"; nothing to do`);
      else
        context.say(
          `paracle: seeded Redis ${redis.where} with revision ${seeded.revision} of "${redis.project}"${seeded.replaced ? ` (replaced revision ${seeded.replaced.rev})` : ''}`,
        );
    });
  engine
    .command('status')
    .description('url (password hidden), head and local revision, lag, lock holder and TTL, stored revisions')
    .action(async (_options: unknown, command: Command) => {
      const { context, redis } = await openEngine(command);
      const status = await redis.status(context.root);
      if (context.json) {
        context.printJson(status);
        return;
      }
      const { describeSharedLock } = await import('./lock-format.js');
      context.say(
        [
          `url        ${status.url}`,
          `project    ${status.project}`,
          `reachable  yes`,
          `head       ${status.head ?? 'none (not seeded: paracle engine seed)'}`,
          `local      ${status.local ?? 'no state file'}${status.lag ? ` (${status.lag} behind; the next command catches up)` : ''}`,
          `lock       ${describeSharedLock(status.lock)}`,
          `stored     ${status.storedRevisions} revisions${status.snapshot !== null ? ` after the snapshot of revision ${status.snapshot}` : ''}`,
        ].join('\n'),
      );
    });
  engine
    .command('compact')
    .description('keep the newest N revisions on Redis and a snapshot before them; hosts further behind load the snapshot')
    .requiredOption('--keep <n>', 'how many revisions to keep', integerOption('--keep', 0))
    .action(async (options: { keep: number }, command: Command) => {
      const { context, redis, timeoutMs } = await openEngine(command);
      const done = await redis.compact({ keep: options.keep, timeoutMs });
      if (context.json) context.printJson({ success: true, ...done });
      else
        context.say(`paracle: Redis ${redis.where} keeps a snapshot of revision ${done.snapshot}; ${done.dropped} older revisions dropped`);
    });
}

async function openEngine(command: Command) {
  const { commandContext } = await import('./command-context.js');
  const { stateEngineFor } = await import('../engine/state-engine.js');
  const { timeoutMs } = await import('../lock/lock-timeout.js');
  const { EngineError } = await import('../errors.js');
  const context = commandContext(command);
  const engine = await stateEngineFor(context.root);
  if (engine === null) {
    throw new EngineError(
      'ENGINE_URL',
      context.root,
      'no Redis configured: set PARACLE_REDIS_URL (or redis.url in .parac/config/engine.yaml)',
    );
  }
  const redis = engine as import('../engine/redis/redis-engine.js').RedisStateEngine;
  return { context, redis, timeoutMs: timeoutMs(context.timeout) };
}
