import { lstatSync, readdirSync, rmSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { currentHost, hostTag, probeProcess } from './process-identity.js';

/**
 * Scratch entries are the temp files (and the lock's temp directories) made beside a target while it is
 * being replaced. Their names say who made them, `.<target name>.<pid>.<host tag>.<counter>.<random>.tmp`,
 * so that one left behind by a killed process can be recognised and removed by the next writer.
 */

/** Older than this, a scratch entry is removed whoever made it: covers other hosts and reused pids. */
export const SCRATCH_MAX_AGE_MS = 60 * 60 * 1000;

let counter = 0;
const inFlight = new Set<string>();
let exitHookInstalled = false;

export function scratchPathFor(target: string): string {
  counter += 1;
  const random = Math.floor(Math.random() * 0x1000000)
    .toString(16)
    .padStart(6, '0');
  return join(dirname(target), `.${basename(target)}.${process.pid}.${hostTag()}.${counter}.${random}.tmp`);
}

export interface ScratchName {
  pid: number;
  hostTag: string;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function scratchNamePattern(targetName: string): RegExp {
  return new RegExp(`^\\.${escapeRegExp(targetName)}\\.(\\d+)\\.([0-9a-f]{8})\\.(\\d+)\\.([0-9a-f]+)\\.tmp$`);
}

export function parseScratchName(name: string, pattern: RegExp): ScratchName | null {
  const match = pattern.exec(name);
  if (!match) return null;
  return { pid: Number(match[1]), hostTag: match[2] ?? '' };
}

/**
 * Remembers a scratch file this process is writing, so that a normal exit mid-write (process.exit from
 * elsewhere) does not leave it behind. Killed processes are handled by `removeOrphanedScratch`.
 */
export function trackScratch(path: string): void {
  inFlight.add(path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const leftover of inFlight) rmSync(leftover, { force: true, recursive: true });
    });
  }
}

export function untrackScratch(path: string): void {
  inFlight.delete(path);
}

function isOrphan(owner: ScratchName, mtimeMs: number, now: number): boolean {
  if (now - mtimeMs > SCRATCH_MAX_AGE_MS) return true;
  if (owner.hostTag !== hostTag(currentHost())) return false;
  if (owner.pid === process.pid) return false;
  return probeProcess(owner.pid) === 'dead';
}

/**
 * Removes the scratch entries of `targetName` in `folder` left by processes that are gone: on this host, a
 * pid that no longer runs; from anywhere, older than an hour. Entries of live writers are kept.
 * Returns how many were removed. A folder that does not exist holds none.
 */
export function removeOrphanedScratch(folder: string, targetName: string): number {
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  const pattern = scratchNamePattern(targetName);
  const now = Date.now();
  let removed = 0;
  for (const name of names) {
    const owner = parseScratchName(name, pattern);
    if (!owner) continue;
    const path = join(folder, name);
    try {
      const stat = lstatSync(path);
      if (!isOrphan(owner, stat.mtimeMs, now)) continue;
      rmSync(path, { recursive: true, force: true });
      removed += 1;
    } catch {
      // Gone already (another cleaner got there first) or not ours to remove: either way not counted.
    }
  }
  return removed;
}
