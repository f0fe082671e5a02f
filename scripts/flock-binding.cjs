'use strict';
// The flock binding, as shipped in dist/flock-binding/: fs-ext-extra-prebuilt's prebuilt binaries
// (MIT, LICENSE.txt beside this file), copied there by the build (scripts/copy-flock-binding.mjs).
// Loading one needs no install script, so installing paracle-hooks runs none (npm's allowScripts).
// Each binary is built for one Node ABI: the exact major, else the newest older one, which fails
// to load on a newer ABI, and then src/lock/flock.ts falls back to the flock command.
const { readdirSync } = require('node:fs');
const { join } = require('node:path');

const major = Number(process.versions.node.split('.')[0]);
const prefix = `fs-ext-${process.platform}-${process.arch}-node-`;
const newestFirst = readdirSync(__dirname)
  .filter((name) => name.startsWith(prefix) && name.endsWith('.node'))
  .map((name) => ({ name, major: Number.parseInt(name.slice(prefix.length), 10) }))
  .filter((binary) => binary.major <= major)
  .sort((a, b) => b.major - a.major);
if (newestFirst.length === 0) throw new Error(`no prebuilt flock binary for ${process.platform}-${process.arch} and Node ${major}`);
const binding = require(join(__dirname, newestFirst[0].name));
const { LOCK_EX, LOCK_NB, LOCK_UN } = binding.constants;

/** flock(2) on `fd`: 'exnb' (exclusive, non-blocking) or 'un'; throws with the errno's `code` (EAGAIN when held). */
function flockSync(fd, flags) {
  return binding.flock(fd, flags === 'exnb' ? LOCK_EX | LOCK_NB : LOCK_UN);
}

module.exports = { flockSync, binary: newestFirst[0].name };
