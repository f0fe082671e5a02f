import { EngineError } from '../../errors.js';
import { RespClient, type RespEndpoint, RespError } from './resp-client.js';

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
  endpoint: RespEndpoint;
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
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const where = `${parsed.hostname}:${port}${db === '' ? '' : `/${db}`}`;
  const endpoint: RespEndpoint = {
    // An IPv6 literal is [::1] in a URL and ::1 to connect().
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port,
    tls: parsed.protocol === 'rediss:',
    username: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
    db: db === '' ? 0 : Number(db),
  };
  return { url, where, source, endpoint };
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

export class RedisConnection {
  readonly target: RedisTarget;
  #client: RespClient | null = null;
  #connecting: Promise<RespClient> | null = null;
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
      return (await client.call(args)) as T;
    } catch (error) {
      throw this.explain(error);
    } finally {
      this.#busy -= 1;
      if (this.#busy === 0) client.unref();
    }
  }

  /** A second connection for waiting (pub/sub); a subscriber owes no reply, so the reply timeout never cuts it off. */
  duplicateForWaiting(): Promise<RespClient> {
    return this.#open();
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = null;
    await client?.close();
  }

  /** A failure as one line: what happened at host:port and what to do. */
  explain(error: unknown): Error {
    if (!(error instanceof RespError)) return error instanceof Error ? error : new Error(String(error));
    const where = this.target.where;
    const say = (message: string) => new EngineError('ENGINE_UNAVAILABLE', where, `Redis at ${where}: ${message}`, { cause: error });
    switch (error.kind) {
      case 'reply':
        if (/WRONGPASS|NOAUTH|\bAUTH\b|invalid password|invalid username-password/i.test(error.message)) {
          return say(`refused the password (check the password in ${this.target.source})`);
        }
        if (/DB index is out of range/i.test(error.message))
          return say(`has no such database (check the /db number in ${this.target.source})`);
        return say(`replied with an error: ${error.message}`);
      case 'connect':
        if (TLS_REFUSALS.test(error.code ?? '')) {
          return say(
            `its TLS certificate was not trusted (${error.code}): give its CA to node with NODE_EXTRA_CA_CERTS, or check the host name in ${this.target.source}`,
          );
        }
        if (error.code === 'ECONNREFUSED') return say(`connection refused: is redis-server running there? (${this.target.source})`);
        if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN') return say(`unknown host (check ${this.target.source})`);
        return say(`${error.message} (check ${this.target.source})`);
      case 'timeout':
        return say(`no answer within ${(error.limitMs ?? timeouts().replyMs) / 1000} s: is it overloaded or unreachable?`);
      case 'protocol':
        return say(`does not speak the Redis protocol: is ${this.target.source} pointing at the right port?`);
      case 'closed':
        if (error.beforeAnyReply) {
          const tls = this.target.endpoint.tls ? 'without TLS (redis://)' : 'with TLS (rediss://)';
          return say(`${error.message} before any reply: does it expect to be reached ${tls}, or is it not Redis? (${this.target.source})`);
        }
        return say(error.message);
    }
  }

  async #ready(): Promise<RespClient> {
    if (this.#client?.isOpen) return this.#client;
    this.#connecting ??= this.#connect().finally(() => {
      this.#connecting = null;
    });
    return this.#connecting;
  }

  async #connect(): Promise<RespClient> {
    await this.close();
    const client = await this.#open();
    client.unref();
    this.#client = client;
    return client;
  }

  async #open(): Promise<RespClient> {
    try {
      return await RespClient.connect(this.target.endpoint, timeouts());
    } catch (error) {
      throw this.explain(error);
    }
  }
}

/** Node's codes for a server certificate it would not accept. */
const TLS_REFUSALS = /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER/;

function timeouts(): { connectMs: number; replyMs: number } {
  const replyMs = socketTimeoutMs();
  return { connectMs: Math.min(CONNECT_TIMEOUT_MS, replyMs), replyMs };
}
