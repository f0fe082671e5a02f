// What a build is made from, as one hash: the sources, the build scripts and configuration, and the
// dependencies' lockfile. `npm run build` records it as its last step (`--record`); the test suite's
// global setup skips its own build when dist/ was built from these same inputs (CI has just built),
// and builds otherwise, so a test never runs code older than src/. clean-dist.mjs removes the record
// first, so a build that stops half-way is never taken for a finished one.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const BUILD_RECORD = join(root, 'node_modules', '.cache', 'paracle-hooks-build-inputs');
const INPUTS = ['src', 'scripts', 'hooks', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json'];

/** A file as itself, a folder as every file below it; nothing for a missing path. */
function files(path) {
  const stat = statSync(path, { throwIfNoEntry: false });
  if (stat === undefined) return [];
  if (!stat.isDirectory()) return [path];
  const entries = readdirSync(path, { withFileTypes: true, recursive: true });
  return entries.filter((entry) => entry.isFile()).map((entry) => join(entry.parentPath ?? entry.path, entry.name));
}

export function buildInputsHash() {
  const hash = createHash('sha256');
  for (const file of INPUTS.flatMap((input) => files(join(root, input))).sort()) {
    hash
      .update(`${relative(root, file)}\0`)
      .update(readFileSync(file))
      .update('\0');
  }
  return hash.digest('hex');
}

/**
 * Whether dist/ holds a finished build of the inputs as they are now, its module tree and bundle
 * from the same build (a bare `tsc` after a build rewrites the tree without the build's id).
 */
export function builtFromCurrentInputs() {
  if (!existsSync(BUILD_RECORD) || readFileSync(BUILD_RECORD, 'utf8') !== buildInputsHash()) return false;
  try {
    const bundleId = readFileSync(join(root, 'dist', 'cli-bundle', 'main.cjs'), 'utf8').split('\n', 1)[0];
    const treeId = readFileSync(join(root, 'dist', 'cli', 'main.js'), 'utf8')
      .trimEnd()
      .split('\n')
      .at(-1);
    return bundleId.startsWith('// paracle-build-id: ') && bundleId === treeId;
  } catch {
    return false;
  }
}

export function forgetBuild() {
  rmSync(BUILD_RECORD, { force: true });
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--record')) {
  mkdirSync(dirname(BUILD_RECORD), { recursive: true });
  writeFileSync(BUILD_RECORD, buildInputsHash());
}
