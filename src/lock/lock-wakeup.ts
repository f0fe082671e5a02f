import { watch, type FSWatcher, type WatchEventType } from 'node:fs';

/**
 * How a waiter sleeps until the lock may be its own: a watch (inotify, FSEvents, ReadDirectoryChangesW)
 * on the one folder whose change it waits for, and a slow poll for what a watch cannot tell (a holder
 * or a waiter killed outright changes no file; network file systems send no events at all). Waiters
 * that polled every few ms took the CPU from the holder they waited for (16 waiters on 2 cores: a
 * quarter of the throughput of one writer).
 */
export class LockWakeup {
  #watcher: FSWatcher | null = null;
  #watched: string | null = null;
  #pending = false;
  #wake: (() => void) | null = null;
  #timer: NodeJS.Timeout | undefined;

  /** True while a watch is in place (false when none could be made: the caller polls faster). */
  get watching(): boolean {
    return this.#watcher !== null;
  }

  /**
   * Watches `path` (a folder or a file) for changes `relevant` says matter, replacing an earlier watch. A
   * change from the moment this returns wakes the next `sleep`. True when a new watch was made: look at
   * the lock again before sleeping, since a change just before it went unseen. False when `path` is
   * watched already, or when no watch could be made (`path` gone, out of watches: the caller polls and
   * asks again next time).
   */
  watch(path: string, relevant: (event: WatchEventType, name: string | null) => boolean): boolean {
    if (this.#watched === path) return false;
    this.#closeWatcher();
    try {
      const watcher = watch(path, { persistent: false }, (event, name) => {
        if (relevant(event, name)) this.#signal();
      });
      // A watched path removed ends the watch: wake up and look.
      watcher.on('error', () => {
        if (this.#watcher === watcher) this.#closeWatcher();
        this.#signal();
      });
      this.#watcher = watcher;
      this.#watched = path;
      return true;
    } catch {
      return false;
    }
  }

  /** Resolves at the next relevant change since the last sleep, or after `ms`. */
  async sleep(ms: number): Promise<void> {
    if (this.#pending) {
      this.#pending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      this.#wake = resolve;
      this.#timer = setTimeout(() => this.#signal(), Math.max(0, ms));
    });
  }

  close(): void {
    this.#closeWatcher();
    clearTimeout(this.#timer);
    this.#wake?.();
    this.#wake = null;
  }

  #signal(): void {
    const wake = this.#wake;
    if (!wake) {
      this.#pending = true;
      return;
    }
    this.#wake = null;
    clearTimeout(this.#timer);
    wake();
  }

  #closeWatcher(): void {
    this.#watcher?.close();
    this.#watcher = null;
    this.#watched = null;
  }
}
