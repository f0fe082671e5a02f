'use strict';
// Shared by the hook entry points: find the built toolkit beside this folder and run one hook.
// A hook starts a fresh node on every commit, so this is CommonJS (node's ESM loader would start
// on every commit; docs/design.md) and it runs the one-file bundle
// dist/hooks-bundle/git-entry.cjs through V8's code cache (see src/code-cache.ts) when the bundle
// comes from the same build as the module tree, else the module tree tsc emits.
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');

const dist = join(__dirname, '..', 'dist');
const bundlePath = join(dist, 'hooks-bundle', 'git-entry.cjs');
const loader = join(dist, 'hooks-bundle', 'code-cache.cjs');
const tree = join(dist, 'cli', 'git-entry.js');
/** Between the cache a full pre-commit run leaves and the smaller one of a commit touching no watched area (docs/design.md). */
const PARTIAL_CACHE_SHARE = 0.6;

async function runHook(name) {
  if (process.env.PARACLE === '0') return;
  // A clean clone of paracle-hooks itself has no dist/ until it is built; its own hooks must not block commits.
  if (!existsSync(tree)) {
    process.stderr.write(`paracle: ${name} hook skipped (${dist} is not built; run npm run build)\n`);
    return;
  }
  const args = process.argv.slice(2);
  if (existsSync(loader)) {
    const { currentBundle, loadThroughCodeCache } = require(loader);
    const bundle = currentBundle(bundlePath, tree);
    if (bundle !== null) {
      const { exports, saveCodeCache } = loadThroughCodeCache(bundle, name, PARTIAL_CACHE_SHARE);
      process.exitCode = await exports.runFromGit(name, args);
      saveCodeCache();
      return;
    }
  }
  const { runFromGit } = await import(pathToFileURL(tree).href);
  process.exitCode = await runFromGit(name, args);
}

module.exports = { runHook };
