import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the global setup made: the tarball and the scratch project that installed it. */
export interface PackedPackage {
  tarball: string;
  project: string;
}

/**
 * The package as users get it: `npm pack` of this checkout, then installed from the tarball (a
 * `file:` devDependency) into a scratch project by `installPacked`, exactly as the registry would
 * serve it. Made once per test run by the global setup (packing and installing take several
 * seconds); tests copy the project (`copyPackedProject` in packed-project.ts) rather than installing
 * again. Returns the tarball.
 */
export function packCheckout(projectRoot: string, into: string): string {
  const packDir = join(into, 'pack');
  mkdirSync(packDir, { recursive: true });
  // With its scripts, as `npm publish` packs: prepack takes this checkout's own `prepare` (husky) out
  // of the packed package.json, so packing does not run it either (scripts/pack-manifest.mjs).
  // Synchronous: prepack rewrites this checkout's package.json for a moment, before any test runs.
  const pack = spawnSync('npm', ['pack', '--silent', '--pack-destination', packDir], { cwd: projectRoot, encoding: 'utf8' });
  if (pack.status !== 0) throw new Error(`npm pack failed in ${projectRoot} (exit ${pack.status}):\n${pack.stdout}${pack.stderr}`);
  return join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
}

/** Installs `tarball` into a new scratch project under `into`, while tests already run; returns the project. */
export async function installPacked(tarball: string, into: string): Promise<string> {
  const project = join(into, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'packed-user-project', version: '1.0.0', private: true, devDependencies: { 'paracle-hooks': `file:${tarball}` } }, null, 2)}\n`,
  );
  // The dependencies come from npm's cache when `npm ci` already fetched them for this checkout.
  const args = ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'];
  await new Promise<void>((resolve, reject) => {
    execFile('npm', args, { cwd: project, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`npm ${args.join(' ')} failed in ${project} (exit ${error.code}):\n${stdout}${stderr}`));
    });
  });
  return project;
}
