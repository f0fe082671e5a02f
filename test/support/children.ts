import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

/** Scripts under test/children/, which import the built library from dist/. */
export const CHILDREN_DIR = fileURLToPath(new URL('../children/', import.meta.url));

export function childScript(name: string): string {
  return join(CHILDREN_DIR, name);
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/**
 * A node process running a script, with its stdout split into lines as they arrive so a test can wait
 * for a "ready" line before acting, talk to it over stdin, and kill it for real.
 */
export class ChildRun {
  readonly process: ChildProcess;
  readonly lines: string[] = [];
  stdout = '';
  stderr = '';
  readonly exited: Promise<ChildExit>;
  #waiters: Array<() => void> = [];
  #partial = '';
  #exit: ChildExit | null = null;

  constructor(script: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}) {
    this.process = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: { ...process.env, ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.process.stdout?.setEncoding('utf8');
    this.process.stderr?.setEncoding('utf8');
    this.process.stdout?.on('data', (chunk: string) => {
      this.stdout += chunk;
      this.#partial += chunk;
      const parts = this.#partial.split('\n');
      this.#partial = parts.pop() ?? '';
      this.lines.push(...parts);
      this.#notify();
    });
    this.process.stderr?.on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    // A child killed before reading stdin makes writes fail with EPIPE; that is expected here.
    this.process.stdin?.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      this.process.on('close', (code, signal) => {
        if (this.#partial) this.lines.push(this.#partial);
        this.#partial = '';
        this.#exit = { code, signal };
        this.#notify();
        resolve(this.#exit);
      });
    });
  }

  get pid(): number {
    const pid = this.process.pid;
    if (pid === undefined) throw new Error('child did not start');
    return pid;
  }

  #notify(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves with the first line (already seen or still to come) that matches; rejects on exit or timeout. */
  async waitForLine(match: string | RegExp | ((line: string) => boolean), timeoutMs = 20_000): Promise<string> {
    const test =
      typeof match === 'function' ? match : typeof match === 'string' ? (l: string) => l === match : (l: string) => match.test(l);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find(test);
      if (found !== undefined) return found;
      if (this.#exit) {
        throw new Error(`child exited (${this.#exit.code ?? this.#exit.signal}) before printing ${String(match)}; stderr: ${this.stderr}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${String(match)}; stdout: ${this.stdout}; stderr: ${this.stderr}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  send(line: string): void {
    this.process.stdin?.write(`${line}\n`);
  }

  /** SIGKILL, and wait until the process is really gone (and reaped). */
  async kill(): Promise<ChildExit> {
    if (!this.#exit) this.process.kill('SIGKILL');
    return this.exited;
  }

  /** Waits for a normal exit and fails with the child's stderr if it did not exit 0. */
  async succeed(timeoutMs = 60_000): Promise<void> {
    const timer = setTimeout(() => this.process.kill('SIGKILL'), timeoutMs);
    const exit = await this.exited;
    clearTimeout(timer);
    if (exit.code !== 0) {
      throw new Error(`child ${this.pid} failed (${exit.code ?? exit.signal}); stderr: ${this.stderr}; stdout: ${this.stdout}`);
    }
  }
}

export function startChild(name: string, args: string[] = [], options: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): ChildRun {
  return new ChildRun(childScript(name), args, options);
}

/** Loop lengths: short for `npm test`, long when PARACLE_STRESS=long. */
export function stress(short: number, long: number): number {
  return process.env.PARACLE_STRESS === 'long' ? long : short;
}

/**
 * A process holding the state lock until killed (test/children/hold-state-lock.mjs), as an editor
 * plugin or a long CLI run would; resolves once it holds the lock.
 */
export async function holdStateLock(stateFile: string, command: string): Promise<ChildProcess> {
  const holder = spawn(process.execPath, [childScript('hold-state-lock.mjs'), stateFile, command], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    holder.stdout!.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`the lock holder exited early (${code})`)));
  });
  return holder;
}
