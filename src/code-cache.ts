import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, join } from 'node:path';
import vm from 'node:vm';

/**
 * Loading a CommonJS bundle through V8's code cache. The CLI and the git hooks start a fresh node
 * for every command and commit, and most of that start is parsing and compiling the same code
 * again. After a run, the bytecode of every function that ran is written to the user's cache
 * folder (one cache per command, since each uses different code); the next run neither parses nor
 * compiles them. Node 20 has no built-in compile cache. V8 rejects a cache that does not match the
 * source or the node binary, and it is then made again.
 *
 * Nothing is ever written inside the installed package: the caches live in
 * `$XDG_CACHE_HOME/paracle-hooks` (default `~/.cache/paracle-hooks`), in one folder per build of
 * the bundles and node version, and are named by a fixed set of command names, never by what
 * someone typed.
 */

export interface CurrentBundle {
  file: string;
  source: string;
  /** The id `npm run build` put on this bundle and on the module tree it was built from. */
  buildId: string;
}

export interface CachedBundle<T> {
  exports: T;
  /** Call after the run, so the cache holds what the run compiled. Best effort: never throws. */
  saveCodeCache(): void;
}

const BUILD_ID_LINE = '// paracle-build-id: ';
/** Build folders kept in the cache; older ones (earlier versions of the package) are removed. */
const KEPT_BUILDS = 6;

/**
 * The bundle, when it comes from the same build as the module tree (see scripts/build-bundles.mjs):
 * its first line and the tree entry's last line carry the same build id. Otherwise null, and the
 * caller runs the tree, so stale code never runs.
 */
export function currentBundle(bundle: string, tree: string): CurrentBundle | null {
  let source: string;
  try {
    source = readFileSync(bundle, 'utf8');
  } catch {
    return null;
  }
  const firstLineEnd = source.indexOf('\n');
  if (!source.startsWith(BUILD_ID_LINE) || firstLineEnd === -1) return null;
  const stampLine = source.slice(0, firstLineEnd + 1);
  let treeEntry: string;
  try {
    treeEntry = readFileSync(tree, 'utf8');
  } catch {
    return null;
  }
  if (!treeEntry.endsWith(stampLine)) return null;
  return { file: bundle, source, buildId: stampLine.slice(BUILD_ID_LINE.length, -1) };
}

/** `$XDG_CACHE_HOME/paracle-hooks`, else `~/.cache/paracle-hooks`; null when there is no home to use. */
export function codeCacheRoot(env: NodeJS.ProcessEnv = process.env): string | null {
  const xdg = env.XDG_CACHE_HOME;
  if (xdg && isAbsolute(xdg)) return join(xdg, 'paracle-hooks');
  let home: string;
  try {
    home = homedir();
  } catch {
    return null;
  }
  return home && isAbsolute(home) ? join(home, '.cache', 'paracle-hooks') : null;
}

/** The cache file for one command of one bundle; null when caching is not possible here. */
export function codeCacheFile(bundle: CurrentBundle, cacheName: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const root = codeCacheRoot(env);
  if (root === null || !/^[a-z][a-z-]{0,31}$/.test(cacheName) || !/^[\w-]+$/.test(bundle.buildId)) return null;
  const build = `${bundle.buildId}-node${process.versions.node}-${process.arch}`;
  return join(root, build, `${basename(dirname(bundle.file))}-${cacheName}.v8-cache`);
}

/**
 * Runs `bundle` as a CommonJS module. `cacheName` is one of a fixed set of names (the caller maps
 * anything else to one), so the cache holds a bounded number of files.
 *
 * `partialBelow`: a cache smaller than this share of the source was made by a run that took a
 * short path (a commit touching no watched area) and is made again after a later run.
 */
export function loadThroughCodeCache<T>(bundle: CurrentBundle, cacheName: string, partialBelow = 0): CachedBundle<T> {
  const cacheFile = codeCacheFile(bundle, cacheName);
  let cachedData: Buffer | undefined;
  if (cacheFile !== null) {
    try {
      cachedData = readFileSync(cacheFile);
    } catch {
      cachedData = undefined;
    }
  }
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${bundle.source}\n})`, {
    filename: bundle.file,
    cachedData,
  });
  const loaded = { exports: {} as T };
  (script.runInThisContext() as (...args: unknown[]) => void)(
    loaded.exports,
    createRequire(bundle.file),
    loaded,
    bundle.file,
    dirname(bundle.file),
  );
  const stale = cachedData === undefined || script.cachedDataRejected === true || cachedData.length < bundle.source.length * partialBelow;
  return {
    exports: loaded.exports,
    saveCodeCache: () => {
      if (stale && cacheFile !== null) writeQuietly(cacheFile, script);
    },
  };
}

/** A read-only home, or another process writing the same cache, just means this run stays uncached. */
function writeQuietly(cacheFile: string, script: vm.Script): void {
  const temp = `${cacheFile}.${process.pid}.tmp`;
  try {
    const folder = dirname(cacheFile);
    const isNewBuild = statSync(folder, { throwIfNoEntry: false }) === undefined;
    mkdirSync(folder, { recursive: true });
    writeFileSync(temp, script.createCachedData());
    renameSync(temp, cacheFile);
    if (isNewBuild) removeOldBuilds(dirname(folder));
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
  }
}

/** Keeps the cache bounded across upgrades: only the most recently created build folders stay. */
function removeOldBuilds(root: string): void {
  const builds = readdirSync(root, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => ({ path: join(root, entry.name), time: statSync(join(root, entry.name)).mtimeMs }))
    .sort((a, b) => b.time - a.time);
  for (const old of builds.slice(KEPT_BUILDS)) rmSync(old.path, { recursive: true, force: true });
}
