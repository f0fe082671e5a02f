// Build step: the flock binding into dist/flock-binding/ (see scripts/flock-binding.cjs). The
// binaries come from the devDependency fs-ext-extra-prebuilt (its Node builds, not its Electron
// ones) with its licence; the package itself is not a dependency of paracle-hooks, because its
// install script makes npm 11 warn on every install of ours ("not yet covered by allowScripts").
import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const source = 'node_modules/fs-ext-extra-prebuilt';
const target = 'dist/flock-binding';
if (!existsSync(join(source, 'binaries'))) {
  process.stderr.write(`copy-flock-binding: ${source} is not installed; the build ships no flock binding (the flock command stands in)\n`);
} else {
  mkdirSync(target, { recursive: true });
  for (const name of readdirSync(join(source, 'binaries')).filter((file) => /^fs-ext-.+-node-\d+\.\d+\.\d+\.node$/.test(file))) {
    copyFileSync(join(source, 'binaries', name), join(target, name));
  }
  copyFileSync(join(source, 'LICENSE.txt'), join(target, 'LICENSE.txt'));
  copyFileSync('scripts/flock-binding.cjs', join(target, 'index.cjs'));
}
