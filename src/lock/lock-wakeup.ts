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
   * Watches `folder` for changes `relevant` says matter, replacing an earlier watch. A change from the moment
   * this returns wakes the next `sleep`. True when a new watch was made: look at the lock again before
   * sleeping, since a change just before it went unseen.
   */
  watch(folder: string, relevant: (event: WatchEventType, name: string | null) => boolean): boolean {
    if (this.#watched === folder) return false;
    this.#closeWatcher();
    this.#watched = folder;
    try {
      const watcher = watch(folder, { persistent: false }, (event, name) => {
        if (relevant(event, name)) this.#signal();
      });
      // A watched folder removed (the queue folder, by the last waiter) ends the watch: poll until rewatched.
      watcher.on('error', () => {
        if (this.#watcher === watcher) this.#closeWatcher();
        this.#signal();
      });
      this.#watcher = watcher;
    } catch {
      // Out of watches (ENOSPC), a missing folder: the caller's poll still works.
      this.#watcher = null;
    }
    return true;
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
