/**
 * The revision a committed version of the state file records, read from its top-level `revision:`
 * line without parsing the whole file (post-merge, `paracle remerge` and `paracle verify --base`
 * read several versions). A file without one is revision 0, as the store reads it; a value that is
 * not an integer gives null.
 */
export function committedRevision(text: string): number | null {
  const match = /^revision:[ \t]*(.*?)[ \t]*(?:#.*)?$/m.exec(text);
  if (!match) return 0;
  const value = match[1]!.replace(/^(['"])(.*)\1$/, '$2');
  return /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : null;
}
