import { join } from 'node:path';
import { parse } from 'yaml';
import { EngineError } from '../errors.js';
import { readTextIfExistsSync } from '../fs/read-text.js';

/**
 * Where the shared state lives, if anywhere: `PARACLE_REDIS_URL` (set and empty turns the engine
 * off), else `redis.url` in `.parac/config/engine.yaml`. Reading it costs one file check when
 * neither is set, so commands and hooks without Redis start as fast as before.
 *
 *   redis:
 *     url: redis://redis.internal:6379/0   # better in PARACLE_REDIS_URL when it holds a password
 *     prefix: my-project                   # default: the state's project.name
 *     wait_replicas: 1                     # WAIT for this many replicas after each write (default 0)
 */

export const ENGINE_CONFIG_RELATIVE = join('config', 'engine.yaml');

export interface EngineSettings {
  url: string;
  /** Names the project's keys (inside one hash tag); null: the state's project.name. */
  prefix: string | null;
  waitReplicas: number;
  /** Where the URL came from, for messages. */
  source: string;
}

export function readEngineSettings(paracRoot: string, env: NodeJS.ProcessEnv = process.env): EngineSettings | null {
  const fromEnv = env.PARACLE_REDIS_URL;
  const file = join(paracRoot, ENGINE_CONFIG_RELATIVE);
  const text = fromEnv === undefined ? readTextIfExistsSync(file) : null;
  const redis = text === null ? {} : redisSection(text, file);
  const url = fromEnv ?? (typeof redis.url === 'string' ? redis.url : '');
  if (url.trim() === '') return null;
  const prefix = env.PARACLE_REDIS_PREFIX || (typeof redis.prefix === 'string' ? redis.prefix : null);
  const wait = env.PARACLE_REDIS_WAIT ?? redis.wait_replicas ?? 0;
  const waitReplicas = Number(wait);
  if (!Number.isSafeInteger(waitReplicas) || waitReplicas < 0) {
    throw new EngineError('ENGINE_URL', file, `wait_replicas must be a whole number of replicas, got ${JSON.stringify(wait)}`);
  }
  return { url: url.trim(), prefix, waitReplicas, source: fromEnv !== undefined ? 'PARACLE_REDIS_URL' : file };
}

function redisSection(text: string, file: string): Record<string, unknown> {
  let data: unknown;
  try {
    data = parse(text);
  } catch (error) {
    throw new EngineError('ENGINE_URL', file, `${file}: not valid YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
  const redis = (data as { redis?: unknown } | null)?.redis;
  if (redis === undefined || redis === null) return {};
  if (typeof redis !== 'object' || Array.isArray(redis)) throw new EngineError('ENGINE_URL', file, `${file}: \`redis\` must be a mapping`);
  return redis as Record<string, unknown>;
}
