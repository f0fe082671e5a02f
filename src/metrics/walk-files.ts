import { readdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * The project's files by walking the tree, for a project that is not in a git repository (in one,
 * `git ls-files` is used: it knows what is ignored). Dot-folders and `node_modules` are skipped;
 * symlinks are not followed. Paths are `/`-separated and relative to `dir`.
 */
export async function walkProjectFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  async function visit(relative: string): Promise<void> {
    const entries = await readdir(join(dir, relative), { withFileTypes: true });
    for (const entry of entries) {
      const path = relative === '' ? entry.name : `${relative}/${entry.name}`;
      if (entry.isDirectory()) {
        if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
        await visit(path);
      } else if (entry.isFile() || entry.isSymbolicLink()) files.push(path);
    }
  }
  await visit('');
  return files;
}
