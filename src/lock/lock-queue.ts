import { closeSync, existsSync, mkdirSync, openSync, readdirSync, rmdirSync, statSync, unlinkSync, utimesSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { currentHost, hostTag, ownProcessStartTime, probeProcess } from '../fs/process-identity.js';

/**
 * The waiting line for the state lock: a folder of empty ticket files whose names sort in arrival order
 * (wall-clock microseconds, then pid, then a per-process counter). Only the waiter holding the first live
 * ticket may try to take the lock, and a newcomer takes a free lock directly only when the line is empty,
 * so a process that saves in a loop cannot starve the others (the Python original's polling lock did).
 *
 * A ticket names its owner (pid, process start time, host tag); tickets of processes that are gone, or
 * that have not been refreshed within the stale period, are removed by whoever is behind them.
 */

/**
 * How often a waiter touches its ticket to show it is still waiting: seldom, since every touch wakes
 * each waiter watching the line, and well inside the time after which a ticket not touched is dropped.
 */
export const TICKET_REFRESH_MS = 2500;
/** A waiter woken a little early refreshes anyway, rather than wait for its next wake-up. */
const REFRESH_EARLY_MS = 250;
/**
 * A ticket not touched for this long (or the lock's stale period, if longer) is dropped. Tickets of this
 * host are dropped at once when their process is gone; this is for other hosts sharing the folder.
 */
const MIN_TICKET_STALE_MS = 10_000;

const TICKET_PATTERN = /^(\d{17})\.(\d{10})\.(\d+)\.([0-9a-f]{8})\.(\d{6,})\.ticket$/;

export interface TicketOwner {
  pid: number;
  /** Host tag (see process-identity), not the host name. */
  hostTag: string;
  sameHost: boolean;
}

export interface QueueTicket {
  readonly queueDir: string;
  readonly name: string;
  readonly path: string;
  refreshedAt: number;
}

let ticketCounter = 0;
const ownTickets = new Set<string>();
let exitHookInstalled = false;

export function queueDirFor(stateFile: string): string {
  return `${stateFile}.paracle-queue`;
}

function isTicketName(name: string): boolean {
  return TICKET_PATTERN.test(name);
}

export function parseTicketOwner(name: string): TicketOwner | null {
  const match = TICKET_PATTERN.exec(name);
  if (!match) return null;
  const tag = match[4] ?? '';
  return { pid: Number(match[2]), hostTag: tag, sameHost: tag === hostTag(currentHost()) };
}

/** True when someone is (or was, until a dead ticket is cleaned) waiting in line. */
export function hasWaiters(queueDir: string): boolean {
  // existsSync does not throw: the common case (no line at all) stays one cheap syscall.
  if (!existsSync(queueDir)) return false;
  try {
    return readdirSync(queueDir).some(isTicketName);
  } catch {
    return false;
  }
}

function createTicketFile(ticket: QueueTicket): void {
  for (;;) {
    try {
      closeSync(openSync(ticket.path, 'wx'));
      ticket.refreshedAt = Date.now();
      return;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') return;
      if (code !== 'ENOENT') throw error;
    }
    // The folder is removed by the last waiter to leave; make it again (racing others is fine). When
    // the last waiter removes it between our mkdir and mkdir's own check of it, that is ENOENT: go round.
    try {
      mkdirSync(ticket.queueDir, { recursive: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync(dirname(ticket.queueDir))) throw error;
    }
  }
}

export function joinQueue(queueDir: string): QueueTicket {
  ticketCounter += 1;
  // The wall clock every process reads alike: timeOrigin + performance.now() drifts from it in a process
  // that has lived through a clock step (a VM's time sync), which let such a process jump the line.
  // Within a millisecond, this process's own joins keep their order by the counter.
  const micros = Date.now() * 1000 + (ticketCounter % 1000);
  const name = [
    String(micros).padStart(17, '0'),
    String(process.pid).padStart(10, '0'),
    ownProcessStartTime() ?? '0',
    hostTag(),
    String(ticketCounter).padStart(6, '0'),
    'ticket',
  ].join('.');
  const ticket: QueueTicket = { queueDir, name, path: join(queueDir, name), refreshedAt: 0 };
  createTicketFile(ticket);
  ownTickets.add(ticket.path);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const path of ownTickets) {
        try {
          unlinkSync(path);
        } catch {
          // already gone
        }
      }
    });
  }
  return ticket;
}

export function leaveQueue(ticket: QueueTicket): void {
  ownTickets.delete(ticket.path);
  try {
    unlinkSync(ticket.path);
  } catch {
    // removed as stale by another waiter: nothing to do
  }
  try {
    rmdirSync(ticket.queueDir);
  } catch {
    // others are still waiting (ENOTEMPTY) or it is gone already
  }
}

/** Keeps the ticket visibly alive; puts it back (same place in line) if another waiter removed it as stale. */
export function refreshTicket(ticket: QueueTicket, now = Date.now()): void {
  if (now - ticket.refreshedAt < TICKET_REFRESH_MS - REFRESH_EARLY_MS) return;
  try {
    const time = new Date(now);
    utimesSync(ticket.path, time, time);
    ticket.refreshedAt = now;
  } catch {
    createTicketFile(ticket);
  }
}

function isTicketAbandoned(path: string, owner: TicketOwner, start: string, staleMs: number, now: number): boolean {
  if (owner.sameHost && probeProcess(owner.pid, start === '0' ? undefined : start) !== 'alive') return true;
  const stat = statSync(path, { throwIfNoEntry: false });
  if (!stat) return true;
  return now - stat.mtimeMs > Math.max(staleMs, MIN_TICKET_STALE_MS);
}

/** A live ticket ahead of another in line: whose it is, and where (to watch it). */
export interface TicketAhead {
  owner: TicketOwner;
  path: string;
}

/**
 * The first live ticket ahead of `ticket` (`from: 'front'`), or the one just ahead of it (`'behind'`), or
 * null when `ticket` is first in line. Abandoned tickets met on the way are removed; `ticket` itself
 * is put back if it went missing.
 */
export function liveTicketAhead(ticket: QueueTicket, staleMs: number, from: 'front' | 'behind'): TicketAhead | null {
  let names: string[];
  try {
    names = readdirSync(ticket.queueDir);
  } catch {
    names = [];
  }
  if (!names.includes(ticket.name)) createTicketFile(ticket);
  const ahead = names.filter((name) => isTicketName(name) && name < ticket.name).sort();
  if (from === 'behind') ahead.reverse();
  const now = Date.now();
  for (const name of ahead) {
    const owner = parseTicketOwner(name);
    if (!owner) continue;
    const start = TICKET_PATTERN.exec(name)?.[3] ?? '0';
    const path = join(ticket.queueDir, name);
    if (!isTicketAbandoned(path, owner, start, staleMs, now)) return { owner, path };
    try {
      unlinkSync(path);
    } catch {
      // another waiter removed it first
    }
  }
  return null;
}

/** The owner of the first live ticket ahead of `ticket`, or null when `ticket` is first in line. */
export function firstWaiterAhead(ticket: QueueTicket, staleMs: number): TicketOwner | null {
  return liveTicketAhead(ticket, staleMs, 'front')?.owner ?? null;
}

/** How many live-looking tickets are in line (for messages; does not clean). */
export function countWaiters(queueDir: string): number {
  try {
    return readdirSync(queueDir).filter(isTicketName).length;
  } catch {
    return 0;
  }
}

/** Removes every abandoned ticket and the folder if it ends up empty (for `clearLock`). */
export function removeAbandonedTickets(queueDir: string, staleMs: number): number {
  let names: string[];
  try {
    names = readdirSync(queueDir);
  } catch {
    return 0;
  }
  const now = Date.now();
  let removed = 0;
  for (const name of names) {
    const owner = parseTicketOwner(name);
    if (!owner) continue;
    const start = TICKET_PATTERN.exec(name)?.[3] ?? '0';
    const path = join(queueDir, name);
    if (!isTicketAbandoned(path, owner, start, staleMs, now)) continue;
    try {
      unlinkSync(path);
      removed += 1;
    } catch {
      // gone already
    }
  }
  try {
    rmdirSync(queueDir);
  } catch {
    // live waiters remain, or it is gone
  }
  return removed;
}
