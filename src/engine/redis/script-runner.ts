import { createHash } from 'node:crypto';
import type { RedisConnection } from './redis-connection.js';

/** Runs a Lua script by EVALSHA, loading it with EVAL the first time a server does not know it (NOSCRIPT). */
export class ScriptRunner {
  readonly #redis: RedisConnection;
  readonly #shas = new Map<string, string>();

  constructor(redis: RedisConnection) {
    this.#redis = redis;
  }

  async run<T = unknown>(script: string, keys: readonly string[], args: readonly string[]): Promise<T> {
    let sha = this.#shas.get(script);
    if (sha === undefined) {
      sha = createHash('sha1').update(script).digest('hex');
      this.#shas.set(script, sha);
    }
    const tail = [String(keys.length), ...keys, ...args];
    try {
      return await this.#redis.call<T>(['EVALSHA', sha, ...tail]);
    } catch (error) {
      if (!/NOSCRIPT/.test(String((error as Error).message))) throw error;
      return this.#redis.call<T>(['EVAL', script, ...tail]);
    }
  }
}
