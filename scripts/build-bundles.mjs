// Build step: the one-file CommonJS bundles that start on every commit (git hooks) and every
// `paracle` command, loaded through V8's code cache (src/code-cache.ts), plus that loader itself
// for the CommonJS hook entries in hooks/.
//
// graceful-fs is replaced by node's own fs in both bundles. proper-lockfile loads it as the
// default for its `fs` option, which src/state/lock.ts always sets, so it is never called; but
// loading it patches node's fs for the whole process and pulls in the stream modules, a cost
// paid on every commit for nothing. The module tree tsc emits (the library) keeps the real one.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
  alias: { 'graceful-fs': './scripts/bundle-shims/graceful-fs.cjs' },
  // The optional flock binding (src/state/flock.ts) ships native code: required from node_modules at
  // run time, and only when a save takes the Python tooling's lock; `import()` of it becomes a
  // require, so node's ESM loader (≈15 ms) does not start on a commit.
  external: ['fs-ext-extra-prebuilt'],
  supported: { 'dynamic-import': false },
};

rmSync('dist/hooks-bundle', { recursive: true, force: true });
rmSync('dist/cli-bundle', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: ['src/hooks-run/git-entry.ts'], outfile: 'dist/hooks-bundle/git-entry.cjs' }),
  build({ ...common, entryPoints: ['src/code-cache.ts'], outfile: 'dist/hooks-bundle/code-cache.cjs' }),
  build({
    ...common,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli-bundle/main.cjs',
    // husky finds its own files next to its module: `paracle install` runs it from node_modules.
    external: [...common.external, 'husky'],
    define: { 'import.meta.url': '__paracle_import_meta_url' },
    banner: { js: "var __paracle_import_meta_url = require('node:url').pathToFileURL(__filename).href;" },
  }),
]);
