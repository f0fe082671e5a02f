import { randomUUID } from 'node:crypto';
import { StateLockError, type LockHolder } from '../../errors.js';
import { currentHost } from '../../fs/process-identity.js';
import type { RedisConnection } from './redis-connection.js';
import type { ProjectKeys } from './redis-keys.js';
import { ACQUIRE, RELEASE_LOCK, RENEW_LOCK } from './redis-scripts.js';
import type { ScriptRunner } from './script-runner.js';

/**
 * The shared lock: `SET key value NX PX ttl`, renewed while held, released by compare-and-delete,
 * waiters woken by a message on release (pub/sub), not by polling. It makes hosts take turns; it is
 * never what keeps a write correct (the commit's revision check is): a holder paused past its TTL
 * loses the lock, and its late commit is then refused.
 */

export const DEFAULT_LOCK_TTL_MS = 10_000;
/** A wait with no release message still looks again this often: a holder that died leaves only its TTL. */
const MAX_WAIT_SLICE_MS = 1000;

export interface SharedLockHolder extends LockHolder {
  token: string;
}

export function lockTtlMs(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.PARACLE_REDIS_LOCK_TTL_MS);
  return Number.isSafeInteger(value) && value >= 100 ? value : DEFAULT_LOCK_TTL_MS;
}

export function parseHolder(value: string | null): SharedLockHolder | null {
  if (value === null) return null;
  try {
    return JSON.parse(value) as SharedLockHolder;
  } catch {
    return null;
  }
}

/** A hold of the shared lock: its value, the head read when it was taken, and whether a commit released it. */
export interface SharedHold {
  value: string;
  /** [rev, sha] at the moment the lock was taken ('' when there is no head). */
  head: [string, string];
  released: boolean;
}

export async function withSharedLock<T>(
  redis: RedisConnection,
  scripts: ScriptRunner,
  keys: ProjectKeys,
  options: { timeoutMs: number; command?: string },
  fn: (hold: SharedHold) => Promise<T>,
): Promise<T> {
  const ttl = lockTtlMs();
  const holder: SharedLockHolder = {
    token: randomUUID(),
    pid: process.pid,
    host: currentHost(),
    command: options.command ?? process.argv.slice(1).join(' ').slice(0, 300),
    startedAt: new Date().toISOString(),
  };
  const value = JSON.stringify(holder);
  const hold: SharedHold = { value, head: await acquire(redis, scripts, keys, value, ttl, options.timeoutMs), released: false };
  // Renewal failures are never thrown from the timer: a lost lock shows at the commit, which is fenced.
  const renew = setInterval(
    () => {
      scripts.run(RENEW_LOCK, [keys.lock], [value, String(ttl)]).catch(() => undefined);
    },
    Math.max(50, Math.floor(ttl / 3)),
  );
  renew.unref();
  try {
    return await fn(hold);
  } finally {
    clearInterval(renew);
    if (!hold.released) await scripts.run(RELEASE_LOCK, [keys.lock], [value, keys.released]).catch(() => undefined);
  }
}

async function acquire(
  redis: RedisConnection,
  scripts: ScriptRunner,
  keys: ProjectKeys,
  value: string,
  ttl: number,
  timeoutMs: number,
): Promise<[string, string]> {
  const tryTake = () => scripts.run<[string, string] | null>(ACQUIRE, [keys.lock, keys.head], [value, String(ttl)]);
  const first = await tryTake();
  if (first !== null) return first;
  const deadline = Date.now() + timeoutMs;
  const listener = await redis.duplicateForWaiting();
  let wake: (() => void) | null = null;
  try {
    await listener.subscribe(keys.released, () => wake?.());
    for (;;) {
      const taken = await tryTake();
      if (taken !== null) return taken;
      const left = deadline - Date.now();
      if (left <= 0) break;
      const pttl = await redis.call<number>(['PTTL', keys.lock]);
      // Released between our try and now (its message may have come before we listened): try again at once.
      if (pttl === -2) continue;
      const slice = Math.min(left, MAX_WAIT_SLICE_MS, pttl > 0 ? pttl + 5 : MAX_WAIT_SLICE_MS);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, slice);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      wake = null;
    }
  } catch (error) {
    throw redis.explain(error);
  } finally {
    await listener.close();
  }
  const holder = parseHolder(await redis.call<string | null>(['GET', keys.lock]));
  const who = holder ? `pid ${holder.pid} on host ${holder.host} since ${holder.startedAt} (${holder.command})` : 'another writer';
  throw new StateLockError(
    `the shared state lock on Redis ${redis.target.where} is held by ${who}; gave up after ${timeoutMs / 1000} s (raise --timeout, or wait: the lock expires ${lockTtlMs() / 1000} s after its holder stops renewing it)`,
    keys.lock,
    holder ? { pid: holder.pid, host: holder.host, command: holder.command, startedAt: holder.startedAt } : null,
  );
}
