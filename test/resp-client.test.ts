import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { expect, it } from 'vitest';
import { RespClient, type RespEndpoint, RespError } from '../src/engine/redis/resp-client.js';
import { describeWithRedis, FaultyProxy, freePort, RedisServer } from './support/redis-server.js';

/**
 * The Redis engine's own connection (src/engine/redis/resp-client.ts) against a real redis-server:
 * replies matched to their commands in order, whatever the chunking; an error reply fails only its
 * own command; every way a connection ends rejects what is owed, with its kind.
 */

const server = new RedisServer();
const timeouts = { connectMs: 2000, replyMs: 2000 };

function endpoint(port: number, extra: Partial<RespEndpoint> = {}): RespEndpoint {
  return { host: '127.0.0.1', port, tls: false, username: '', password: '', db: 0, ...extra };
}

async function failure(promise: Promise<unknown>): Promise<RespError> {
  const error = await promise.then(
    () => null,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(RespError);
  return error as RespError;
}

/** The same pipeline of every RESP2 reply shape; each call's own reply, in order. */
async function everyShape(client: RespClient, key: string): Promise<unknown[]> {
  return Promise.all([
    client.call(['SET', key, 'é✓ two\r\nlines']),
    client.call(['GET', key]),
    client.call(['GET', `${key}:missing`]),
    client.call(['INCRBY', `${key}:n`, '-7']),
    client.call(['EVAL', "return {1, false, {'a', {}}, redis.status_reply('FINE')}", '0']),
    client.call(['HSET', `${key}:h`, 'f', 'v']).catch((error: RespError) => error.kind),
    client.call(['GET', `${key}:h`]).catch((error: RespError) => `${error.kind}: ${error.message.split(' ')[0]}`),
    client.call(['PING']),
  ]);
}

const EXPECTED = ['OK', 'é✓ two\r\nlines', null, -7, [1, null, ['a', []], 'FINE'], 1, 'reply: WRONGTYPE', 'PONG'];

describeWithRedis('the Redis connection', server, () => {
  it('pipelined commands get their own replies in order, every RESP2 shape, an error reply failing only its command', async () => {
    const client = await RespClient.connect(endpoint(server.port), timeouts);
    try {
      expect(await everyShape(client, 'shapes')).toEqual(EXPECTED);
      // A reply far larger than one read: split across many chunks by the kernel.
      const big = 'x'.repeat(3_000_000);
      const [, got] = await Promise.all([client.call(['SET', 'big', big]), client.call(['GET', 'big']), client.call(['DEL', 'big'])]);
      expect(got).toBe(big);
    } finally {
      await client.close();
    }
  });

  it('replies arriving one byte at a time decode to the same values', async () => {
    const proxy = new FaultyProxy(server.port);
    await proxy.start();
    proxy.mode = 'trickle';
    try {
      const client = await RespClient.connect(endpoint(proxy.port), timeouts);
      expect(await everyShape(client, 'trickle')).toEqual(EXPECTED);
      await client.close();
    } finally {
      await proxy.stop();
    }
  });

  it('authenticates with a user and password from the URL and selects the database', async () => {
    server.cli(['ACL', 'SETUSER', 'paracle', 'on', '>s3cret', '~*', '&*', '+@all']);
    const client = await RespClient.connect(endpoint(server.port, { username: 'paracle', password: 's3cret', db: 5 }), timeouts);
    try {
      await client.call(['SET', 'in-db-5', 'yes']);
      expect(server.cli(['-n', '5', 'GET', 'in-db-5']).trim()).toBe('yes');
      expect(server.cli(['GET', 'in-db-5']).trim()).toBe('');
    } finally {
      await client.close();
    }
    const wrong = await failure(RespClient.connect(endpoint(server.port, { username: 'paracle', password: 'nope' }), timeouts));
    expect(wrong.kind).toBe('reply');
    expect(wrong.message).toMatch(/WRONGPASS/);
    const noDb = await failure(RespClient.connect(endpoint(server.port, { db: 99 }), timeouts));
    expect(noDb.message).toMatch(/DB index is out of range/);
  });

  it('a reply owed too long fails with a timeout; a subscriber owes none and keeps waiting past it', async () => {
    const proxy = new FaultyProxy(server.port);
    await proxy.start();
    try {
      const short = { connectMs: 2000, replyMs: 300 };
      const subscriber = await RespClient.connect(endpoint(server.port), short);
      const messages: string[] = [];
      await subscriber.subscribe('wake', (message) => messages.push(message));
      const stalled = await RespClient.connect(endpoint(proxy.port), short);
      proxy.mode = 'stall';
      const started = Date.now();
      const timedOut = await failure(stalled.call(['PING']));
      expect(timedOut.kind).toBe('timeout');
      expect(timedOut.limitMs).toBe(300);
      expect(Date.now() - started).toBeLessThan(5000);
      expect(stalled.isOpen).toBe(false);
      expect((await failure(stalled.call(['PING']))).kind).toBe('timeout');
      await new Promise((resolve) => setTimeout(resolve, 900));
      expect(subscriber.isOpen).toBe(true);
      server.cli(['PUBLISH', 'wake', 'released']);
      for (let i = 0; i < 100 && messages.length === 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 20));
      expect(messages).toEqual(['released']);
      await subscriber.close();
    } finally {
      await proxy.stop();
    }
  });

  it('a connection killed with replies owed rejects every one of them as closed, and refuses further commands at once', async () => {
    const client = await RespClient.connect(endpoint(server.port), timeouts);
    await client.call(['CLIENT', 'SETNAME', 'to-kill']);
    const owed = [client.call(['BLPOP', 'never-pushed', '0']), client.call(['PING'])];
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(server.cli(['CLIENT', 'KILL', 'TYPE', 'normal']).trim()).not.toBe('0');
    for (const call of owed) expect((await failure(call)).kind).toBe('closed');
    expect(client.isOpen).toBe(false);
    expect((await failure(client.call(['PING']))).kind).toBe('closed');
  });

  it('refused, not Redis, or silent through a TLS handshake: each fails with its kind in bounded time', async () => {
    const refused = await failure(RespClient.connect(endpoint(await freePort()), timeouts));
    expect([refused.kind, refused.code]).toEqual(['connect', 'ECONNREFUSED']);

    const http = createHttpServer((_req, res) => res.end('hello'));
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    try {
      const client = await RespClient.connect(endpoint((http.address() as { port: number }).port), timeouts);
      expect((await failure(client.call(['PING']))).kind).toBe('protocol');
    } finally {
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    }

    // A TCP server that reads and never speaks: the TLS handshake never ends, the connect timeout does.
    const silent: Server = createServer((socket) => socket.resume());
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const started = Date.now();
      const port = (silent.address() as { port: number }).port;
      const hung = await failure(RespClient.connect(endpoint(port, { tls: true }), { connectMs: 300, replyMs: 900 }));
      expect(hung.kind).toBe('timeout');
      // The connect limit ran out, not the reply one: messages name the one that did.
      expect(hung.limitMs).toBe(300);
      expect(Date.now() - started).toBeLessThan(5000);
    } finally {
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
