#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { currentBundle, loadThroughCodeCache } from '../code-cache.js';
import { cacheNameForArgv } from './command-names.js';

// Every `paracle` command is a fresh node: run the one-file CommonJS bundle of the CLI through
// V8's code cache (one cache per command, in the user's cache folder) when it comes from the same
// build as the module tree, else the module tree.
const bundlePath = fileURLToPath(new URL('../cli-bundle/main.cjs', import.meta.url));
const tree = fileURLToPath(new URL('./main.js', import.meta.url));
const argv = process.argv.slice(2);
const command = cacheNameForArgv(argv);

// `install` runs husky, which finds its own files next to its module: it must not be bundled.
const bundle = command === 'install' ? null : currentBundle(bundlePath, tree);
if (bundle !== null) {
  const { exports, saveCodeCache } = loadThroughCodeCache<typeof import('./main.js')>(bundle, command);
  process.exitCode = await exports.main(argv);
  saveCodeCache();
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
