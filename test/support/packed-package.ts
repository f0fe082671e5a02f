import { execFile } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** What `packAndInstall` made: the tarball and the scratch project that installed it. */
export interface PackedPackage {
  tarball: string;
  project: string;
}

/**
 * The package as users get it: `npm pack` of this checkout, installed from the tarball (a `file:`
 * devDependency) into a scratch project, exactly as the registry would serve it. Made once per test
 * run by the global setup (packing and installing take several seconds), while the first test files
 * already run; tests copy the project (`copyPackedProject` in packed-project.ts) rather than
 * installing again.
 */
export async function packAndInstall(projectRoot: string, into: string): Promise<PackedPackage> {
  const packDir = join(into, 'pack');
  mkdirSync(packDir, { recursive: true });
  // --ignore-scripts: packing must not run this checkout's own `prepare` (husky) as a side effect.
  await run('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', packDir], projectRoot);
  const tarball = join(packDir, readdirSync(packDir).find((f) => f.endsWith('.tgz'))!);
  const project = join(into, 'project');
  mkdirSync(project);
  writeFileSync(
    join(project, 'package.json'),
    `${JSON.stringify({ name: 'packed-user-project', version: '1.0.0', private: true, devDependencies: { 'paracle-hooks': `file:${tarball}` } }, null, 2)}\n`,
  );
  // The dependencies come from npm's cache when `npm ci` already fetched them for this checkout.
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', '--loglevel=error'], project);
  return { tarball, project };
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error === null) resolve();
      else reject(new Error(`${command} ${args.join(' ')} failed in ${cwd} (exit ${error.code}):\n${stdout}${stderr}`));
    });
  });
}
