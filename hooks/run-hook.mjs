// Shared by the hook entry points: find the built toolkit beside this folder and run one hook.
// The esbuild bundle (dist/hooks-bundle/git-entry.js, one file) starts faster than the module tree
// tsc emits (dist/hooks-run/git-entry.js); it is used only when it is at least as new as that tree,
// so a `tsc`-only rebuild never runs stale bundled code.
import { statSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';

// Node ≥ 22.1 keeps compiled code between runs (a hook starts on every commit); absent on Node 20.
module.enableCompileCache?.();

const bundle = new URL('../dist/hooks-bundle/git-entry.js', import.meta.url);
const tree = new URL('../dist/hooks-run/git-entry.js', import.meta.url);

function builtEntry() {
  const treeStat = statSync(tree, { throwIfNoEntry: false });
  const bundleStat = statSync(bundle, { throwIfNoEntry: false });
  if (bundleStat && (!treeStat || bundleStat.mtimeMs >= treeStat.mtimeMs)) return bundle;
  return treeStat ? tree : null;
}

export async function runHook(name) {
  if (process.env.PARACLE === '0') return;
  const entry = builtEntry();
  // A clean clone of paracle-hooks itself has no dist/ until it is built; its own hooks must not block commits.
  if (entry === null) {
    process.stderr.write(`paracle: ${name} hook skipped (${fileURLToPath(new URL('../dist/', import.meta.url))} is not built; run npm run build)\n`);
    return;
  }
  const { runFromGit } = await import(entry.href);
  process.exitCode = await runFromGit(name, process.argv.slice(2));
}
