import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';

/** A file's text, or null when there is no such file; any other failure (EACCES, EISDIR...) is thrown. */
export async function readTextIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

/** `readTextIfExists`, synchronous: for reads inside a lock hold's synchronous step. */
export function readTextIfExistsSync(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}

function isMissing(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | null)?.code === 'ENOENT';
}

/** A file's bytes, or null when there is no such file: for putting a file back exactly as it was. */
export function readBytesIfExistsSync(file: string): Buffer | null {
  try {
    return readFileSync(file);
  } catch (error) {
    if (isMissing(error)) return null;
    throw error;
  }
}
