// Build step, after tsc: the one-file CommonJS bundles that start on every commit (git hooks) and
// every `paracle` command, loaded through V8's code cache (src/code-cache.ts), plus that loader
// itself for the CommonJS hook entries in hooks/; and the library as CommonJS (`require`).
//
// Build id: one id per build goes on the first line of each bundle and on the last line of the
// module-tree entry it stands in for (dist/cli/main.js, dist/cli/git-entry.js). The entry
// points run a bundle only when the two ids match, so they never run a bundle older than the tree
// (a later bare `tsc` rewrites the entry without the id), and never depend on file times: npm
// extracts a tarball in its own order, which made an mtime comparison pick the slower tree.
import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { build } from 'esbuild';

const buildId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
const stamp = `// paracle-build-id: ${buildId}`;

const common = {
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  logLevel: 'warning',
};
// The Redis protocol decoder (node-redis's, src/engine/redis/resp-protocol.ts) is loaded only when a
// URL is configured: the start-up bundles require it from its own minified bundle beside them, so a
// hook or command without Redis reads not one byte of it (docs/design.md, "The Redis engine").
const redisClientBundle = {
  name: 'redis-client-bundle',
  setup(build) {
    build.onResolve({ filter: /\/resp-protocol\.js$/ }, () => ({ path: '../redis-client/resp-protocol.cjs', external: true }));
  },
};
const startUpBundle = {
  ...common,
  plugins: [redisClientBundle],
  // The flock binding (src/lock/flock.ts) is native code in dist/flock-binding/, found through the
  // package's `imports` at run time, and only when a save takes the Python tooling's lock; `import()`
  // of it becomes a require, so node's ESM loader does not start on a commit (docs/design.md).
  external: ['#flock-binding'],
  supported: { 'dynamic-import': false },
  banner: { js: stamp },
};

rmSync('dist/hooks-bundle', { recursive: true, force: true });
rmSync('dist/cli-bundle', { recursive: true, force: true });
rmSync('dist/redis-client', { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: ['src/engine/redis/resp-protocol.ts'], outfile: 'dist/redis-client/resp-protocol.cjs', minify: true }),
  build({ ...startUpBundle, entryPoints: ['src/cli/git-entry.ts'], outfile: 'dist/hooks-bundle/git-entry.cjs' }),
  build({ ...common, entryPoints: ['src/code-cache.ts'], outfile: 'dist/hooks-bundle/code-cache.cjs' }),
  build({
    ...startUpBundle,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli-bundle/main.cjs',
    // husky finds its own files next to its module: `paracle install` runs it from node_modules.
    external: [...startUpBundle.external, 'husky'],
    define: { 'import.meta.url': '__paracle_import_meta_url' },
    banner: { js: `${stamp}\nvar __paracle_import_meta_url = require('node:url').pathToFileURL(__filename).href;` },
  }),
  // `require('paracle-hooks')`: the library as one CommonJS file; its dependencies stay packages.
  build({ ...common, entryPoints: ['src/index.ts'], outfile: 'dist/index.cjs', packages: 'external' }),
]);

for (const entry of ['dist/cli/main.js', 'dist/cli/git-entry.js']) appendFileSync(entry, `${stamp}\n`);

// The CommonJS entry's types: every declaration file index.d.ts reaches, copied as `.d.cts` with
// its relative imports renamed to match. TypeScript reads a `.d.ts` in a `type: module` package as
// ESM, and a CommonJS file importing it is an error (TS1479) under node16 module resolution.
const relativeImport = /(from\s+|import\()(['"])(\.{1,2}\/[^'"]+)\.js\2/g;
const pending = ['dist/index.d.ts'];
const copied = new Set();
while (pending.length > 0) {
  const file = pending.pop();
  if (copied.has(file)) continue;
  copied.add(file);
  const text = readFileSync(file, 'utf8');
  for (const match of text.matchAll(relativeImport)) pending.push(join(dirname(file), `${match[3]}.d.ts`));
  writeFileSync(file.replace(/\.d\.ts$/, '.d.cts'), text.replace(relativeImport, '$1$2$3.cjs$2'));
}
