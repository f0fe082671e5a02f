import { createClient, type RedisClientType } from '@redis/client';
import { EngineError } from '../../errors.js';

/**
 * The one connection to Redis a process keeps, created on first use and re-created after it closed
 * (an idle timeout, a restarted server). Fail fast, never hang: no offline queue, bounded connect
 * and socket timeouts, no automatic reconnect loop; every failure becomes one EngineError naming
 * host:port and what to do, never the password. The socket is unref'd between commands, so a
 * library user's process can still exit by itself.
 */

export const CONNECT_TIMEOUT_MS = 3000;
/** How long a command may wait for its reply; PARACLE_REDIS_TIMEOUT_MS overrides it. */
export const SOCKET_TIMEOUT_MS = 5000;

function socketTimeoutMs(): number {
  const value = Number(process.env.PARACLE_REDIS_TIMEOUT_MS);
  return Number.isSafeInteger(value) && value >= 100 ? value : SOCKET_TIMEOUT_MS;
}

export interface RedisTarget {
  url: string;
  /** host:port/db, for messages: never the password. */
  where: string;
  source: string;
}

export function parseRedisUrl(url: string, source: string): RedisTarget {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new EngineError('ENGINE_URL', source, `${source}: not a URL (expected redis://[:password@]host:port/db)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new EngineError('ENGINE_URL', source, `${source}: the URL must start with redis:// or rediss://, not ${parsed.protocol}//`);
  }
  if (parsed.hostname === '') throw new EngineError('ENGINE_URL', source, `${source}: the URL names no host`);
  const db = parsed.pathname.replace(/^\//, '');
  if (db !== '' && !/^\d+$/.test(db)) {
    throw new EngineError('ENGINE_URL', source, `${source}: the database must be a number (redis://host:port/0), not "${db}"`);
  }
  const where = `${parsed.hostname}:${parsed.port || '6379'}${db === '' ? '' : `/${db}`}`;
  return { url, where, source };
}

/** The URL with its password replaced, for `engine status`. */
export function hidePassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '(not a URL)';
  }
}

// biome-ignore lint/complexity/noBannedTypes: node-redis's own defaults for "no modules, functions, scripts or type mapping"
type Client = RedisClientType<{}, {}, {}, 2, {}>;

export class RedisConnection {
  readonly target: RedisTarget;
  #client: Client | null = null;
  #connecting: Promise<Client> | null = null;
  #busy = 0;

  constructor(target: RedisTarget) {
    this.target = target;
  }

  /** One command; the reply as Redis sends it (RESP2: strings, numbers, arrays, null). */
  async call<T = unknown>(args: readonly string[]): Promise<T> {
    const client = await this.#ready();
    this.#busy += 1;
    client.ref();
    try {
      return (await client.sendCommand(args)) as T;
    } catch (error) {
      throw this.explain(error);
    } finally {
      this.#busy -= 1;
      if (this.#busy === 0) client.unref();
    }
  }

  /** A second connection for waiting (pub/sub): without the socket timeout, since it is idle by design. */
  async duplicateForWaiting(): Promise<Client> {
    const client = this.#create(false);
    try {
      await client.connect();
    } catch (error) {
      throw this.explain(error);
    }
    return client;
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    if (client?.isOpen) await client.close().catch(() => client.destroy());
  }

  /** A failure as one line: what happened at host:port and what to do. */
  explain(error: unknown): Error {
    if (error instanceof EngineError) return error;
    const where = this.target.where;
    const text = String((error as Error)?.message ?? error);
    const code = (error as NodeJS.ErrnoException)?.code;
    const say = (message: string) => new EngineError('ENGINE_UNAVAILABLE', where, `Redis at ${where}: ${message}`, { cause: error });
    if (/WRONGPASS|NOAUTH|\bAUTH\b|invalid password|invalid username-password/i.test(text)) {
      return say(`refused the password (check the password in ${this.target.source})`);
    }
    if (/DB index is out of range/i.test(text)) return say(`has no such database (check the /db number in ${this.target.source})`);
    if (code === 'ECONNREFUSED') return say(`connection refused: is redis-server running there? (${this.target.source})`);
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return say(`unknown host (check ${this.target.source})`);
    if (/timeout/i.test(text) || (error as Error)?.name?.includes('Timeout')) {
      return say(`no answer within ${socketTimeoutMs() / 1000} s: is it overloaded or unreachable?`);
    }
    if (/closed unexpectedly|ECONNRESET|EPIPE/i.test(text) || code === 'ECONNRESET' || code === 'EPIPE')
      return say(`connection lost (${text})`);
    if (/Protocol error|RESP type|parser|HTTP/i.test(text)) {
      return say(`does not speak the Redis protocol: is ${this.target.source} pointing at the right port?`);
    }
    if (error instanceof Error && /^[A-Z]+ /.test(text) && !code) return say(`replied with an error: ${text}`);
    return say(`connection lost (${text})`);
  }

  async #ready(): Promise<Client> {
    if (this.#client?.isReady) return this.#client;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<Client> {
    await this.close();
    const client = this.#create(true);
    try {
      await client.connect();
    } catch (error) {
      client.destroy();
      throw this.explain(error);
    }
    client.unref();
    this.#client = client;
    return client;
  }

  #create(withSocketTimeout: boolean): Client {
    const client = createClient({
      url: this.target.url,
      RESP: 2,
      disableOfflineQueue: true,
      // CLIENT SETINFO on every connect is two more commands before the first real one; a command's run is short.
      disableClientInfo: true,
      socket: {
        connectTimeout: Math.min(CONNECT_TIMEOUT_MS, socketTimeoutMs()),
        ...(withSocketTimeout ? { socketTimeout: socketTimeoutMs() } : {}),
        reconnectStrategy: false,
      },
    }) as unknown as Client;
    // Without a listener an 'error' event would crash the process; failures reach callers as rejections.
    client.on('error', () => undefined);
    return client;
  }
}
