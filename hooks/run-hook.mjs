// Shared by the hook entry points: find the built toolkit beside this folder and run one hook.
// A hook starts a fresh node on every commit, so it runs the one-file CommonJS bundle
// (dist/hooks-bundle/git-entry.cjs) through V8's code cache (see src/code-cache.ts) when the
// bundle is current, else the module tree tsc emits.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dist = new URL('../dist/', import.meta.url);
const bundle = fileURLToPath(new URL('hooks-bundle/git-entry.cjs', dist));
const tree = fileURLToPath(new URL('hooks-run/git-entry.js', dist));
/** Measured: a full pre-commit run's cache is ~0.85 of the bundle's size, one touching no watched area's ~0.25. */
const PARTIAL_CACHE_SHARE = 0.6;

export async function runHook(name) {
  if (process.env.PARACLE === '0') return;
  // A clean clone of paracle-hooks itself has no dist/ until it is built; its own hooks must not block commits.
  if (!existsSync(tree)) {
    process.stderr.write(`paracle: ${name} hook skipped (${fileURLToPath(dist)} is not built; run npm run build)\n`);
    return;
  }
  const { currentBundle, loadThroughCodeCache } = await import(new URL('code-cache.js', dist).href);
  if (currentBundle(bundle, tree)) {
    const { exports, saveCodeCache } = loadThroughCodeCache(bundle, name, PARTIAL_CACHE_SHARE);
    process.exitCode = await exports.runFromGit(name, process.argv.slice(2));
    saveCodeCache();
    return;
  }
  const { runFromGit } = await import(new URL('hooks-run/git-entry.js', dist).href);
  process.exitCode = await runFromGit(name, process.argv.slice(2));
}
