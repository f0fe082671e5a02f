import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * Who a process is, well enough to decide whether a pid written into a file earlier still names the
 * same live process. A pid alone is not enough: the kernel hands pids out again, so on Linux the
 * process start time (clock ticks since boot, field 22 of /proc/<pid>/stat) is recorded beside it.
 */

/** `alive`: that process is running; `dead`: no such process; `reused`: the pid now names a different process. */
export type ProcessState = 'alive' | 'dead' | 'reused';

let cachedHost: string | undefined;
let cachedHostTag: string | undefined;
let cachedOwnStart: string | null | undefined;

export function currentHost(): string {
  cachedHost ??= hostname();
  return cachedHost;
}

/**
 * A short, file-name-safe stand-in for a host name (FNV-1a, 32 bits): enough to tell "written on this
 * host" from "written elsewhere on a shared file system" in names of temp files and queue tickets.
 */
export function hostTag(host: string = currentHost()): string {
  if (host === currentHost() && cachedHostTag !== undefined) return cachedHostTag;
  let hash = 0x811c9dc5;
  for (let i = 0; i < host.length; i += 1) {
    hash ^= host.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  const tag = hash.toString(16).padStart(8, '0');
  if (host === currentHost()) cachedHostTag = tag;
  return tag;
}

interface ProcStat {
  /** One-letter state: R, S, D, Z (zombie), X (dead), ... */
  state: string;
  startTime: string;
}

/** undefined: no /proc here (not Linux); null: no such process. */
function readProcStat(pid: number): ProcStat | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return procAvailable() ? null : undefined;
    return undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces and parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const state = fields[0];
  const startTime = fields[19];
  if (state === undefined || startTime === undefined) return undefined;
  return { state, startTime };
}

let cachedProcAvailable: boolean | undefined;
function procAvailable(): boolean {
  if (cachedProcAvailable === undefined) {
    try {
      readFileSync('/proc/self/stat');
      cachedProcAvailable = true;
    } catch {
      cachedProcAvailable = false;
    }
  }
  return cachedProcAvailable;
}

/** The kernel's start time of `pid` as an opaque string, or undefined where the platform does not tell. */
export function processStartTime(pid: number): string | undefined {
  if (pid === process.pid) return ownProcessStartTime();
  return readProcStat(pid)?.startTime;
}

export function ownProcessStartTime(): string | undefined {
  if (cachedOwnStart === undefined) cachedOwnStart = readProcStat(process.pid)?.startTime ?? null;
  return cachedOwnStart ?? undefined;
}

/**
 * The state of the process `pid` on THIS host. When `expectedStart` is given and the platform reports
 * start times, a live pid with another start time is `reused`. A zombie (killed, not yet reaped by its
 * parent) counts as dead: it will never release anything.
 */
export function probeProcess(pid: number, expectedStart?: string): ProcessState {
  if (!Number.isSafeInteger(pid) || pid <= 0) return 'dead';
  if (pid === process.pid) {
    const own = ownProcessStartTime();
    return expectedStart !== undefined && own !== undefined && own !== expectedStart ? 'reused' : 'alive';
  }
  const stat = readProcStat(pid);
  if (stat === null) return 'dead';
  if (stat !== undefined) {
    if (stat.state === 'Z' || stat.state === 'X') return 'dead';
    return expectedStart !== undefined && stat.startTime !== expectedStart ? 'reused' : 'alive';
  }
  try {
    process.kill(pid, 0);
    return 'alive';
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM' ? 'alive' : 'dead';
  }
}
