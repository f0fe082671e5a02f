import type { LockHolder } from '../errors.js';
import type { LockStatus } from '../lock/lock.js';

/** `paracle lock status` for people: one line. */
export function describeLockStatus(status: LockStatus, options: { hint?: boolean } = {}): string {
  if (status.state === 'free') return 'free';
  const who = status.holder ? describeHolder(status.holder) : 'an unknown holder';
  const age = formatAge(status.ageMs);
  if (status.state === 'held') return `held by ${who}, for ${age}`;
  const hint = options.hint === false ? '' : '; the next writer takes it over, or run `paracle lock clear`';
  return `stale: held by ${who}, ${age} ago (${status.reason})${hint}`;
}

function describeHolder(holder: LockHolder): string {
  return `pid ${holder.pid} on ${holder.host} (${holder.command})`;
}

function formatAge(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${(ms / 1000).toFixed(1)} s`;
  return `${Math.round(ms / 60_000)} min`;
}

/** The shared (Redis) lock for people: free, or who holds it and when it expires. */
export function describeSharedLock(lock: { holder: LockHolder | null; ttlMs: number } | null): string {
  if (lock === null) return 'free';
  const who = lock.holder ? `${describeHolder(lock.holder)} since ${lock.holder.startedAt}` : 'an unknown holder';
  return `held by ${who}, expires in ${formatAge(Math.max(0, lock.ttlMs))} unless renewed`;
}
