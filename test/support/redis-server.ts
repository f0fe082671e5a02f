import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './fixtures.js';

/**
 * A real redis-server for the engine tests: its own process on a free port of 127.0.0.1, its data
 * (AOF on, fsync on every write) in a temp folder, stopped after the test file. Where redis-server
 * is missing the tests are skipped with one line saying what to install; under CI they must run.
 */

export const REDIS_MISSING = 'needs redis-server: apt-get install -y redis-server';

export function findRedisServer(): string | null {
  const found = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (path !== '') return path;
  if (process.env.CI) throw new Error(`the Redis engine tests must run in CI, but ${REDIS_MISSING} (.ci/run installs it)`);
  return null;
}

/** A free TCP port on loopback (taken from the kernel, then released for the server to bind). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export class RedisServer {
  readonly dir: string;
  port = 0;
  #process: ChildProcess | null = null;
  readonly #extra: string[];

  constructor(extra: string[] = []) {
    this.dir = tempDir('paracle-redis-');
    this.#extra = extra;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  /** Starts (or restarts, on the same port and data folder) and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const args = [
      '--port',
      String(this.port),
      '--bind',
      '127.0.0.1',
      '--dir',
      this.dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'always',
      '--save',
      '',
      '--daemonize',
      'no',
      '--logfile',
      join(this.dir, 'redis.log'),
      ...this.#extra,
    ];
    this.#process = spawn('redis-server', args, { stdio: 'ignore' });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (this.cli(['PING']).trim() === 'PONG') return;
      if (Date.now() > deadline) throw new Error(`redis-server did not start on port ${this.port} (see ${this.dir}/redis.log)`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Kills it (SIGKILL by default: no shutdown save) and waits for the process to end. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#process;
    if (child === null || child.exitCode !== null || child.signalCode !== null) return;
    const ended = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await ended;
    this.#process = null;
  }

  /** redis-cli against this server (password from `auth`), its output; never throws. */
  cli(args: string[], auth?: string): string {
    const result = spawnSync(
      'redis-cli',
      ['-h', '127.0.0.1', '-p', String(this.port), ...(auth ? ['-a', auth, '--no-auth-warning'] : []), ...args],
      {
        encoding: 'utf8',
        timeout: 5000,
      },
    );
    return result.stdout ?? '';
  }
}

export type ProxyMode = 'pass' | 'stall' | 'drop-after-request';

/**
 * A TCP proxy in front of Redis, to break connections the way networks do: `stall` forwards
 * requests but holds back every reply (a half-open connection), `drop-after-request` forwards the
 * next request matching `dropOn` and then cuts the connection before the reply comes back.
 */
export class FaultyProxy {
  port = 0;
  mode: ProxyMode = 'pass';
  dropOn: RegExp = /EVALSHA|EVAL/;
  drops = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();

  constructor(readonly target: number) {
    this.#server = createServer((client) => {
      const upstream = new Socket();
      this.#sockets.add(client).add(upstream);
      upstream.connect(target, '127.0.0.1');
      const close = () => {
        client.destroy();
        upstream.destroy();
      };
      let swallow = false;
      client.on('data', (chunk) => {
        upstream.write(chunk);
        if (this.mode === 'drop-after-request' && this.dropOn.test(chunk.toString('latin1'))) {
          this.drops += 1;
          this.mode = 'pass';
          // Redis reads and runs it; its reply never reaches the client, whose connection is then cut.
          swallow = true;
          setTimeout(close, 100);
        }
      });
      upstream.on('data', (chunk) => {
        if (this.mode !== 'stall' && !swallow) client.write(chunk);
      });
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.port = (this.#server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
