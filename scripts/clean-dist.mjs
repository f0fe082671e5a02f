// Build step: start from an empty dist/, so the package never ships a file a removed or renamed
// module left behind from an earlier build.
import { rmSync } from 'node:fs';
import { forgetBuild } from './build-inputs.mjs';

forgetBuild();
rmSync(new URL('../dist/', import.meta.url), { recursive: true, force: true });
