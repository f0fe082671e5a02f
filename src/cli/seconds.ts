import { CliExit, EXIT } from './exit-codes.js';

/**
 * The lock timeout, from `--timeout` or PARACLE_TIMEOUT: a number of seconds, 0 or more. A value
 * that is not one is a usage error naming where it came from, never a silent default.
 */
export function parseSeconds(value: string, source: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw new CliExit(EXIT.usage, `${source} takes a number of seconds, got "${value}"`);
  }
  return n;
}

/** PARACLE_TIMEOUT checked (unset or empty: the default applies); throws the usage error. */
export function checkTimeoutVariable(env: NodeJS.ProcessEnv = process.env): void {
  const value = env.PARACLE_TIMEOUT;
  if (value !== undefined && value !== '') parseSeconds(value, 'PARACLE_TIMEOUT');
}
