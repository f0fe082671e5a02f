import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import vm from 'node:vm';

/**
 * Loading a CommonJS bundle through V8's code cache. The CLI and the git hooks start a fresh node
 * for every command and commit, and most of that start is parsing and compiling the same code
 * again. After a run, the bytecode of every function that ran is written beside the bundle (one
 * cache per command, since each uses different code); the next run neither parses nor compiles
 * them. Node 20 has no built-in compile cache. V8 rejects a cache that does not match the source
 * or the node binary, and it is then made again.
 */

export interface CachedBundle<T> {
  exports: T;
  /** Call after the run, so the cache holds what the run compiled. Best effort: never throws. */
  saveCodeCache(): void;
}

/** The bundle, when it exists and is at least as new as the module tree tsc emits (never stale code). */
export function currentBundle(bundle: string, tree: string): boolean {
  const bundleStat = statSync(bundle, { throwIfNoEntry: false });
  const treeStat = statSync(tree, { throwIfNoEntry: false });
  return bundleStat !== undefined && (treeStat === undefined || bundleStat.mtimeMs >= treeStat.mtimeMs);
}

/**
 * `partialBelow`: a cache smaller than this share of the source was made by a run that took a
 * short path (a commit touching no watched area) and is made again after a later run.
 */
export function loadThroughCodeCache<T>(bundle: string, cacheName: string, partialBelow = 0): CachedBundle<T> {
  const cacheFile = `${bundle}.${cacheName.replace(/[^\w-]/g, '_')}.v8-cache`;
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  const source = readFileSync(bundle, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  const loaded = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(loaded.exports, createRequire(bundle), loaded, bundle, dirname(bundle));
  const stale = cachedData === undefined || script.cachedDataRejected === true || cachedData.length < source.length * partialBelow;
  return {
    exports: loaded.exports,
    saveCodeCache: () => {
      if (stale) writeQuietly(cacheFile, script);
    },
  };
}

/** A read-only install, or another process writing the same cache, just means this run stays uncached. */
function writeQuietly(cacheFile: string, script: vm.Script): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
  }
}
