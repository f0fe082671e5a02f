import { connect as netConnect, isIP, type Socket } from 'node:net';
import { Decoder } from './resp-protocol.js';

/**
 * One connection to Redis, speaking RESP2: commands are written in order and their replies
 * matched in order (so concurrent calls pipeline on one socket). The decoding is node-redis's; what
 * is ours is the failure behaviour the engine needs: no offline queue and no reconnect (a closed
 * client rejects at once and is replaced by its owner), a bounded connect, and a reply timeout that
 * runs only while a reply is owed, so an idle subscriber is never cut off.
 */

export type RespReply = string | number | null | RespReply[];

export type RespFailure = 'reply' | 'connect' | 'timeout' | 'closed' | 'protocol';

/** A failure, by kind: an error reply from Redis, or what happened to the connection. */
export class RespError extends Error {
  readonly kind: RespFailure;
  /** The system error code of a failed connect or a lost connection (ECONNREFUSED, ECONNRESET...). */
  readonly code: string | undefined;
  /** A connection that ended before its first reply: likely not Redis, or TLS on one side only. */
  readonly beforeAnyReply: boolean;
  /** For a timeout: the limit that ran out (connect or reply). */
  readonly limitMs: number | undefined;

  constructor(
    kind: RespFailure,
    message: string,
    options: { cause?: unknown; code?: string | undefined; beforeAnyReply?: boolean; limitMs?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RespError';
    this.kind = kind;
    this.code = options.code;
    this.beforeAnyReply = options.beforeAnyReply ?? false;
    this.limitMs = options.limitMs;
  }
}

export interface RespEndpoint {
  host: string;
  port: number;
  tls: boolean;
  username: string;
  password: string;
  db: number;
}

export interface RespTimeouts {
  connectMs: number;
  /** How long an owed reply may take. */
  replyMs: number;
}

interface Owed {
  resolve(reply: RespReply): void;
  reject(error: Error): void;
}

const NO_TYPE_MAPPING = {};

/** A command as RESP: an array of bulk strings. */
export function encodeCommand(args: readonly string[]): string {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return out;
}

export class RespClient {
  readonly #socket: Socket;
  readonly #replyMs: number;
  readonly #owed: Owed[] = [];
  readonly #decoder: Decoder;
  #failure: RespError | null = null;
  #replied = false;
  #onMessage: ((message: string) => void) | null = null;

  private constructor(socket: Socket, replyMs: number) {
    this.#socket = socket;
    this.#replyMs = replyMs;
    this.#decoder = new Decoder({
      onReply: (reply: RespReply) => this.#reply(reply),
      onErrorReply: (error: Error) => this.#owedNext()?.reject(new RespError('reply', error.message)),
      onPush: () => undefined,
      getTypeMapping: () => NO_TYPE_MAPPING,
    });
    socket.on('data', (chunk: Buffer) => {
      try {
        this.#decoder.write(chunk);
      } catch (error) {
        this.destroy(new RespError('protocol', `not a Redis reply (${(error as Error).message})`, { cause: error }));
      }
    });
    // Idle with nothing owed (a subscriber, a kept connection) is fine; silent with a reply owed is not.
    socket.setTimeout(replyMs);
    socket.on('timeout', () => {
      if (this.#owed.length > 0) this.destroy(new RespError('timeout', `no reply within ${this.#replyMs} ms`, { limitMs: this.#replyMs }));
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      this.#failure ??= new RespError('closed', `connection lost (${error.code ?? error.message})`, {
        cause: error,
        code: error.code,
        beforeAnyReply: !this.#replied,
      });
    });
    socket.on('close', () => {
      this.#failure ??= new RespError('closed', 'connection lost (the server closed it)', { beforeAnyReply: !this.#replied });
      for (const owed of this.#owed.splice(0)) owed.reject(this.#failure);
    });
  }

  /** Connects, then authenticates and selects the database when the endpoint asks for it. */
  static async connect(endpoint: RespEndpoint, timeouts: RespTimeouts): Promise<RespClient> {
    const socket = await openSocket(endpoint, timeouts.connectMs);
    const client = new RespClient(socket, timeouts.replyMs);
    const setup: Array<Promise<unknown>> = [];
    if (endpoint.password !== '') {
      setup.push(client.call(endpoint.username === '' ? ['AUTH', endpoint.password] : ['AUTH', endpoint.username, endpoint.password]));
    }
    if (endpoint.db !== 0) setup.push(client.call(['SELECT', String(endpoint.db)]));
    try {
      await Promise.all(setup);
    } catch (error) {
      client.destroy();
      throw error;
    }
    return client;
  }

  get isOpen(): boolean {
    return this.#failure === null;
  }

  call(args: readonly string[]): Promise<RespReply> {
    if (this.#failure !== null) return Promise.reject(this.#failure);
    return new Promise<RespReply>((resolve, reject) => {
      this.#owed.push({ resolve, reject });
      this.#socket.write(encodeCommand(args));
    });
  }

  /** Turns this connection into a subscriber of `channel`: every message on it calls `onMessage`. */
  async subscribe(channel: string, onMessage: (message: string) => void): Promise<void> {
    this.#onMessage = onMessage;
    await this.call(['SUBSCRIBE', channel]);
  }

  ref(): void {
    this.#socket.ref();
  }

  unref(): void {
    this.#socket.unref();
  }

  /** Ends the connection once what was written is sent; replies still owed are rejected. */
  async close(): Promise<void> {
    if (this.#socket.destroyed) return;
    this.#failure ??= closedHere();
    await new Promise<void>((resolve) => {
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      // A peer that never acknowledges the end must not keep the process alive.
      setTimeout(() => this.#socket.destroy(), 1000).unref();
    });
  }

  destroy(error?: RespError): void {
    this.#failure ??= error ?? closedHere();
    this.#socket.destroy();
  }

  #reply(reply: RespReply): void {
    if (this.#onMessage !== null && Array.isArray(reply) && reply[0] === 'message') {
      this.#onMessage(String(reply[2]));
      return;
    }
    const owed = this.#owedNext();
    if (owed === undefined) {
      this.destroy(new RespError('protocol', 'a reply came for no command'));
      return;
    }
    owed.resolve(reply);
  }

  #owedNext(): Owed | undefined {
    this.#replied = true;
    return this.#owed.shift();
  }
}

function closedHere(): RespError {
  return new RespError('closed', 'connection closed by this client');
}

async function openSocket(endpoint: RespEndpoint, connectMs: number): Promise<Socket> {
  const socket: Socket = endpoint.tls
    ? (await import('node:tls')).connect({
        host: endpoint.host,
        port: endpoint.port,
        ...(isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {}),
      })
    : netConnect({ host: endpoint.host, port: endpoint.port, noDelay: true });
  return new Promise<Socket>((resolve, reject) => {
    const fail = (error: RespError) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    };
    const timer = setTimeout(
      () => fail(new RespError('timeout', `no connection within ${connectMs} ms`, { limitMs: connectMs })),
      connectMs,
    );
    socket.once('error', (error: NodeJS.ErrnoException) =>
      fail(new RespError('connect', `cannot connect (${error.code ?? error.message})`, { cause: error, code: error.code })),
    );
    socket.once(endpoint.tls ? 'secureConnect' : 'connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      if (endpoint.tls) socket.setNoDelay(true);
      resolve(socket);
    });
  });
}
