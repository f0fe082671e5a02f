import { DEFAULT_LOCK_TIMEOUT_MS } from './lock.js';

/** How long to wait for a lock: `seconds` when given, else PARACLE_TIMEOUT, else the default 10 s. */
export function timeoutMs(seconds: number | undefined): number {
  const fromEnv = Number(process.env.PARACLE_TIMEOUT);
  const chosen = seconds ?? (process.env.PARACLE_TIMEOUT && Number.isFinite(fromEnv) ? fromEnv : DEFAULT_LOCK_TIMEOUT_MS / 1000);
  return Math.max(0, Math.round(chosen * 1000));
}
