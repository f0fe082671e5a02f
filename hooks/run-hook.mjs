// Shared by the hook entry points: find the built toolkit beside this folder and run one hook.
//
// A hook starts a fresh node on every commit, so start-up is most of its cost. The esbuild bundle
// (dist/hooks-bundle/git-entry.cjs, one CommonJS file) loads faster than the module tree tsc emits
// (dist/hooks-run/git-entry.js), and it is compiled through V8's code cache: after a run, the
// bytecode of every function that ran is kept beside the bundle, so the next commit neither parses
// nor compiles them again (Node 20 has no built-in compile cache; V8 rejects a cache that does not
// match the source or the node binary, and it is then made again). The bundle is used only when
// it is at least as new as the tree, so a `tsc`-only rebuild never runs stale bundled code.
import { readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';

const bundle = fileURLToPath(new URL('../dist/hooks-bundle/git-entry.cjs', import.meta.url));
const tree = new URL('../dist/hooks-run/git-entry.js', import.meta.url);
const codeCache = `${bundle}.v8-cache`;
/** Measured: a full pre-commit run's cache is ~0.85 of the bundle's size, one touching no watched area's ~0.25. */
const PARTIAL_CACHE_SHARE = 0.6;

function bundleIsCurrent() {
  const treeStat = statSync(tree, { throwIfNoEntry: false });
  const bundleStat = statSync(bundle, { throwIfNoEntry: false });
  return bundleStat !== undefined && (treeStat === undefined || bundleStat.mtimeMs >= treeStat.mtimeMs);
}

function readCodeCache() {
  try {
    return readFileSync(codeCache);
  } catch {
    return undefined;
  }
}

/** Best effort: a read-only install (or a concurrent hook writing the same cache) just runs uncached. */
function writeCodeCache(data) {
  const temp = `${codeCache}.${process.pid}.tmp`;
  try {
    writeFileSync(temp, data);
    renameSync(temp, codeCache);
  } catch {
    try {
      unlinkSync(temp);
    } catch {
      // nothing was written
    }
  }
}

function loadBundle() {
  const cachedData = readCodeCache();
  const source = readFileSync(bundle, 'utf8');
  const script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, {
    filename: bundle,
    cachedData,
  });
  const loaded = { exports: {} };
  script.runInThisContext()(loaded.exports, createRequire(bundle), loaded, bundle, dirname(bundle));
  // A cache made after a commit that touched no watched area lacks the YAML and lock code (it is
  // a fraction of the bundle's size): it is made again after later runs until it holds them.
  const partial = cachedData !== undefined && cachedData.length < source.length * PARTIAL_CACHE_SHARE;
  const stale = cachedData === undefined || script.cachedDataRejected === true || partial;
  const saveCodeCache = () => {
    if (stale) writeCodeCache(script.createCachedData());
  };
  return { runFromGit: loaded.exports.runFromGit, saveCodeCache };
}

export async function runHook(name) {
  if (process.env.PARACLE === '0') return;
  if (bundleIsCurrent()) {
    const { runFromGit, saveCodeCache } = loadBundle();
    process.exitCode = await runFromGit(name, process.argv.slice(2));
    // After the run, so the cache holds the bytecode of everything this hook used.
    saveCodeCache();
    return;
  }
  // A clean clone of paracle-hooks itself has no dist/ until it is built; its own hooks must not block commits.
  if (statSync(tree, { throwIfNoEntry: false }) === undefined) {
    process.stderr.write(`paracle: ${name} hook skipped (${fileURLToPath(new URL('../dist/', import.meta.url))} is not built; run npm run build)\n`);
    return;
  }
  const { runFromGit } = await import(tree.href);
  process.exitCode = await runFromGit(name, process.argv.slice(2));
}
