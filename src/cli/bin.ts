#!/usr/bin/env node
import { fileURLToPath } from 'node:url';
import { currentBundle, loadThroughCodeCache } from '../code-cache.js';

// Every `paracle` command is a fresh node: run the one-file CommonJS bundle of the CLI through
// V8's code cache (one cache per command) when it is current, else the module tree.
const bundle = fileURLToPath(new URL('../cli-bundle/main.cjs', import.meta.url));
const tree = fileURLToPath(new URL('./main.js', import.meta.url));
const argv = process.argv.slice(2);

const command = argv.find((arg) => /^[a-z][a-z-]*$/.test(arg)) ?? 'default';

// `install` runs husky, which finds its own files next to its module: it must not be bundled.
if (command !== 'install' && currentBundle(bundle, tree)) {
  const { exports, saveCodeCache } = loadThroughCodeCache<typeof import('./main.js')>(bundle, command);
  process.exitCode = await exports.main(argv);
  saveCodeCache();
} else {
  const { main } = await import('./main.js');
  process.exitCode = await main(argv);
}
