import { readEngineSettings } from './engine-config.js';

/**
 * The seam below the store: where a revision is committed. Without a configured URL there is no
 * engine (null) and the store writes its local files alone, as it always has; with one, the store
 * writes through the Redis engine, whose module (and client) is loaded only then.
 */

export interface EngineWrite {
  /** The file's text the write started from (after catching up), and the text it writes. */
  previousText: string;
  text: string;
  revision: number;
  /** The audit lines this write appends, exactly as every host will append them. */
  log: string;
}

export interface StateEngine {
  /** host:port/db, for messages. */
  readonly where: string;
  /** Runs `fn` holding the shared lock: hosts take turns. Correctness comes from `commit`, not from this. */
  hold<T>(options: { timeoutMs: number }, fn: () => Promise<T>): Promise<T>;
  /** Under the local lock: brings this host's state file and audit log up to the shared head. */
  catchUp(paracRoot: string): Promise<void>;
  /** Without any lock: whether this host's files already are the shared head (then a reader need not catch up). */
  isCurrent(paracRoot: string): Promise<boolean>;
  /** Under the local lock, before the local rename: makes the write the shared head, or throws. */
  commit(paracRoot: string, write: EngineWrite): Promise<void>;
  /** Closes its connection. */
  close(): Promise<void>;
}

const engines = new Map<string, Promise<StateEngine>>();

/** The engine for a project: null when no URL is configured (nothing is loaded then). */
export async function stateEngineFor(paracRoot: string): Promise<StateEngine | null> {
  const settings = readEngineSettings(paracRoot);
  if (settings === null) return null;
  const id = `${paracRoot}\n${settings.url}\n${settings.prefix ?? ''}`;
  let engine = engines.get(id);
  if (engine === undefined) {
    engine = import('./redis/redis-engine.js').then(({ RedisStateEngine }) => RedisStateEngine.open(paracRoot, settings));
    engines.set(id, engine);
    engine.catch(() => engines.delete(id));
  }
  return engine;
}

/** Closes every engine connection this process opened (they are unref'd, so this is optional). */
export async function closeStateEngines(): Promise<void> {
  const open = [...engines.values()];
  engines.clear();
  for (const engine of open) {
    await (await engine.catch(() => null))?.close();
  }
}

/**
 * For readers: with an engine, brings this host's files up to the shared head (under the local
 * lock, since it may write them) before they are read; without one, does nothing and loads nothing.
 */
export async function catchUpWithEngine(paracRoot: string, timeoutSeconds: number | undefined): Promise<void> {
  const engine = await stateEngineFor(paracRoot);
  if (engine !== null) await catchUpReader(engine, paracRoot, timeoutSeconds);
}

/** A reader's catch-up: one head read when already current, else the local lock and the catch-up under it. */
export async function catchUpReader(engine: StateEngine, paracRoot: string, timeoutSeconds: number | undefined): Promise<void> {
  if (await engine.isCurrent(paracRoot)) return;
  // Loaded only now: `paracle status` at the head never pays for the lock code.
  const [{ withStateLock }, { timeoutMs }, { stateFilePath }] = await Promise.all([
    import('../lock/lock.js'),
    import('../lock/lock-timeout.js'),
    import('../state/paths.js'),
  ]);
  await withStateLock(stateFilePath(paracRoot), { timeoutMs: timeoutMs(timeoutSeconds) }, () => engine.catchUp(paracRoot));
}
