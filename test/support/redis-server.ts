import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, Socket, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, it } from 'vitest';
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

/**
 * A describe block with `server` started before its tests and stopped after them; without
 * redis-server, one skipped test saying what to install (under CI findRedisServer throws instead).
 */
export function describeWithRedis(title: string, server: RedisServer, body: () => void, options: { timeout?: number } = {}): void {
  if (findRedisServer() === null) {
    it.skip(`${title}: ${REDIS_MISSING}`, () => undefined);
    return;
  }
  describe(title, options, () => {
    beforeAll(() => server.start());
    afterAll(() => server.kill('SIGTERM'));
    body();
  });
}

/** A free TCP port on loopback (taken from the kernel, then released for the server to bind). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A self-signed certificate for 127.0.0.1 made by openssl in `dir` (its own CA: give it to node with
 * NODE_EXTRA_CA_CERTS), or null without openssl.
 */
export function makeTlsCertificate(dir: string): { cert: string; key: string } | null {
  const cert = join(dir, 'redis.crt');
  const key = join(dir, 'redis.key');
  const made = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return made.error === undefined && made.status === 0 ? { cert, key } : null;
}

export class RedisServer {
  readonly dir: string;
  port = 0;
  #process: ChildProcess | null = null;
  readonly #extra: string[];
  readonly #tls: { cert: string; key: string } | null;

  /** With `tls`, it listens for TLS only (no plain port), on `port`. */
  constructor(extra: string[] = [], options: { tls?: { cert: string; key: string } } = {}) {
    this.dir = tempDir('paracle-redis-');
    this.#extra = extra;
    this.#tls = options.tls ?? null;
  }

  get url(): string {
    return `${this.#tls === null ? 'redis' : 'rediss'}://127.0.0.1:${this.port}/0`;
  }

  /** Starts (or restarts, on the same port and data folder) and waits until it answers PING. */
  async start(): Promise<void> {
    if (this.port === 0) this.port = await freePort();
    const tls = this.#tls;
    const listen =
      tls === null
        ? ['--port', String(this.port)]
        : [
            '--port',
            '0',
            '--tls-port',
            String(this.port),
            '--tls-cert-file',
            tls.cert,
            '--tls-key-file',
            tls.key,
            '--tls-ca-cert-file',
            tls.cert,
            '--tls-auth-clients',
            'no',
          ];
    const args = [
      ...listen,
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
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(this.port),
        ...(this.#tls === null ? [] : ['--tls', '--cacert', this.#tls.cert]),
        ...(auth ? ['-a', auth, '--no-auth-warning'] : []),
        ...args,
      ],
      {
        encoding: 'utf8',
        timeout: 5000,
      },
    );
    return result.stdout ?? '';
  }
}

export type ProxyMode = 'pass' | 'stall' | 'drop-after-request' | 'trickle';

/**
 * A TCP proxy in front of Redis, to break connections the way networks do: `stall` forwards
 * requests but holds back every reply (a half-open connection), `drop-after-request` forwards the
 * next request matching `dropOn` and then cuts the connection before the reply comes back, and
 * `trickle` passes replies on one byte at a time (every reply split at every possible place).
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
      client.setNoDelay(true);
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
      let trickled = Promise.resolve();
      upstream.on('data', (chunk: Buffer) => {
        if (this.mode === 'trickle') {
          trickled = trickled.then(async () => {
            for (const byte of chunk) {
              client.write(Buffer.of(byte));
              await new Promise((resolve) => setImmediate(resolve));
            }
          });
        } else if (this.mode !== 'stall' && !swallow) client.write(chunk);
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
