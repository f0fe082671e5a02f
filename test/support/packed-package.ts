import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The package as users get it: `npm pack` of this checkout, installed from the tarball (a `file:`
 * devDependency) into a scratch project, exactly as the registry would serve it. Made once per test
 * run by the global setup (packing and installing take several seconds); tests copy the project
 * (`copyPackedProject` in packed-project.ts) rather than installing again.
 */
export function packAndInstall(projectRoot: string, into: string): { tarball: string; project: string } {
  const packDir = join(into, 'pack');
  mkdirSync(packDir, { recursive: true });
  // With its scripts, as `npm publish` packs: prepack takes this checkout's own `prepare` (husky) out
  // of the packed package.json, so packing does not run it either (scripts/pack-manifest.mjs).
  run('npm', ['pack', '--silent', '--pack-destination', packDir], projectRoot);
  const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
  const project = join(into, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'packed-user-project', version: '1.0.0', private: true, devDependencies: { 'paracle-hooks': `file:${tarball}` } }, null, 2)}\n`,
  );
  // The dependencies come from npm's cache when `npm ci` already fetched them for this checkout.
  run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
  return { tarball, project };
}

function run(command: string, args: string[], cwd: string): void {
  const result = spawnSync(command, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${result.status}):\n${result.stdout}${result.stderr}`);
}
