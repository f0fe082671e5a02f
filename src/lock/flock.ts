import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * An exclusive, non-blocking BSD `flock(2)` on an open file: the lock Python's `filelock` takes on
 * Unix (`fcntl.flock(fd, LOCK_EX | LOCK_NB)`, polled). fcntl/POSIX record locks (`os-lock`) do not
 * interact with it, so only a real flock excludes a Python writer. Node has no flock of its own;
 * there are two ways to it, chosen once per process:
 *
 * - `native`: `#flock-binding`, fs-ext-extra-prebuilt's prebuilt binaries shipped in
 *   dist/flock-binding/ (linux, darwin and win32 on x64 and arm64, glibc, Node 20–25; on Windows
 *   its flock is `LockFileEx`, which `msvcrt.locking`, filelock's Windows lock, also respects),
 *   loaded without the package's install script (scripts/flock-binding.cjs). About 10 µs.
 * - `flock-command`: util-linux (or busybox) `flock -x 3` run on our descriptor, passed to it as
 *   its fd 3. The lock belongs to the open file description, which the child shares with us, so it
 *   stays held after the child exits, until we close the descriptor. A process start (~2 ms on a
 *   quiet machine): the fallback where the binding does not load (musl, another architecture, a
 *   newer Node ABI). util-linux waits in the kernel (`-w`), where a release wakes it at once;
 *   busybox, which has no `-w`, is asked again every 25 ms (`-n`).
 *
 * `PARACLE_PYTHON_LOCK` = `native` | `flock` | `off` forces one way (default: the binding, else the
 * command). Releasing is closing the descriptor in both cases; Node opens files close-on-exec, so no
 * other child process keeps a copy.
 */

export type FlockMethod = 'native' | 'flock-command';

export interface FlockTaker {
  readonly method: FlockMethod;
  /** Why the binding is not used, when the command stands in for it. */
  readonly nativeProblem?: string;
  /**
   * Takes the exclusive lock through `fd`, waiting until `deadline` (ms since the epoch): true once held,
   * false when another holder kept it past the deadline. Rejects when no flock can be taken at all.
   */
  lockUntil(fd: number, deadline: number): Promise<boolean>;
  /** Drops the lock before the descriptor is closed (closing alone also drops it). */
  unlock(fd: number): void;
}

/** Why no flock can be taken in this process: shown once, never pretended away. */
export interface FlockUnavailable {
  readonly method: 'none';
  readonly reason: string;
  /** True when the user turned it off (`PARACLE_PYTHON_LOCK=off`): nothing to warn about. */
  readonly chosen: boolean;
}

interface NativeBinding {
  flockSync(fd: number, flags: 'exnb' | 'un'): number;
}

const BUSY = new Set(['EAGAIN', 'EWOULDBLOCK']);

/**
 * How often the binding tries again. Python's filelock polls every 50 ms; a blocking flock would be
 * fairer still, but it ties up a libuv thread that cannot be interrupted at our timeout.
 */
const POLL_NATIVE_MS = 5;
const POLL_COMMAND_MS = 25;

async function loadNative(): Promise<NativeBinding | string> {
  try {
    const loaded = (await import('#flock-binding')) as Partial<NativeBinding> & { default?: Partial<NativeBinding> };
    const flockSync = loaded.flockSync ?? loaded.default?.flockSync;
    if (typeof flockSync !== 'function') return 'the flock binding has no flockSync';
    return { flockSync };
  } catch (error) {
    const message = (error as Error).message.split('\n')[0] ?? String(error);
    return (error as NodeJS.ErrnoException).code === 'ERR_MODULE_NOT_FOUND' || (error as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND'
      ? 'the flock binding (dist/flock-binding) was not built'
      : `the flock binding does not load here (${message})`;
  }
}

function nativeTaker(binding: NativeBinding): FlockTaker {
  const tryOnce = (fd: number): boolean => {
    try {
      binding.flockSync(fd, 'exnb');
      return true;
    } catch (error) {
      if (BUSY.has((error as NodeJS.ErrnoException).code ?? '')) return false;
      throw error;
    }
  };
  return {
    method: 'native',
    async lockUntil(fd, deadline) {
      for (;;) {
        if (tryOnce(fd)) return true;
        if (Date.now() >= deadline) return false;
        await sleep(POLL_NATIVE_MS);
      }
    },
    unlock(fd) {
      try {
        binding.flockSync(fd, 'un');
      } catch {
        // closing the descriptor releases it anyway
      }
    },
  };
}

/** Exit status of `flock -n` / `-w` when the lock stayed held elsewhere (util-linux and busybox alike). */
const FLOCK_COMMAND_BUSY = 1;

interface CommandOutcome {
  code: number;
  stderr: string;
}

function runFlockCommand(fd: number, wait: string[]): Promise<CommandOutcome | 'missing'> {
  return new Promise((resolve, reject) => {
    const child = spawn('flock', ['-x', ...wait, '3'], { stdio: ['ignore', 'ignore', 'pipe', fd] });
    let stderr = '';
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => {
      stderr += chunk;
    });
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') resolve('missing');
      else reject(error);
    });
    child.once('close', (code, signal) => {
      if (code === 0 || code === FLOCK_COMMAND_BUSY) resolve({ code, stderr });
      else reject(new Error(`flock(1) failed (${code ?? signal}): ${stderr.trim() || 'no message'}`));
    });
  });
}

function commandTaker(nativeProblem?: string): FlockTaker {
  // util-linux until shown otherwise: busybox answers `-w` with its usage on stderr (and status 1).
  let canWait = true;
  const run = async (fd: number, wait: string[]): Promise<CommandOutcome> => {
    const result = await runFlockCommand(fd, wait);
    if (result === 'missing') throw Object.assign(new Error('the flock command is not on PATH'), { code: 'ENOENT' });
    return result;
  };
  return {
    method: 'flock-command',
    ...(nativeProblem === undefined ? {} : { nativeProblem }),
    async lockUntil(fd, deadline) {
      if (canWait) {
        const seconds = Math.max(0, (deadline - Date.now()) / 1000).toFixed(3);
        const { code, stderr } = await run(fd, ['-w', seconds]);
        if (code === 0) return true;
        if (stderr.trim() === '') return false;
        canWait = false;
      }
      for (;;) {
        if ((await run(fd, ['-n'])).code === 0) return true;
        if (Date.now() >= deadline) return false;
        await sleep(POLL_COMMAND_MS);
      }
    },
    unlock() {
      // Only closing the descriptor releases a lock taken by the command.
    },
  };
}

let chosen: Promise<FlockTaker | FlockUnavailable> | undefined;

/** The way this process takes a flock, decided on first use (the binding loads once). */
export function flockTaker(): Promise<FlockTaker | FlockUnavailable> {
  chosen ??= choose(process.env.PARACLE_PYTHON_LOCK?.trim().toLowerCase() || 'auto');
  return chosen;
}

async function choose(setting: string): Promise<FlockTaker | FlockUnavailable> {
  if (setting === 'off' || setting === '0') {
    return { method: 'none', reason: 'turned off by PARACLE_PYTHON_LOCK=off', chosen: true };
  }
  if (setting === 'flock') return commandTaker();
  const native = await loadNative();
  if (typeof native !== 'string') return nativeTaker(native);
  if (setting === 'native') return { method: 'none', reason: native, chosen: false };
  if (process.platform === 'win32') {
    return { method: 'none', reason: `${native}, and Windows has no flock command`, chosen: false };
  }
  // The command is looked for on first use: a missing one is reported then, with this reason beside it.
  return commandTaker(native);
}

/** After a try failed outright (the command is missing): the rest of this process does not try again. */
export function markFlockUnavailable(reason: string): void {
  chosen = Promise.resolve({ method: 'none', reason, chosen: false });
}

/** For tests that change PARACLE_PYTHON_LOCK within one process. */
export function forgetFlockChoice(): void {
  chosen = undefined;
}
