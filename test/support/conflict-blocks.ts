/** The file with every conflict block resolved to one side, as a person picking that side would. */
export function resolveConflicts(text: string, side: 'ours' | 'theirs'): string {
  const out: string[] = [];
  let state: 'common' | 'ours' | 'theirs' = 'common';
  for (const line of text.split(/(?<=\n)/)) {
    if (line.startsWith('<<<<<<< ')) state = 'ours';
    else if (line === '=======\n' && state === 'ours') state = 'theirs';
    else if (line.startsWith('>>>>>>> ')) state = 'common';
    else if (state === 'common' || state === side) out.push(line);
  }
  return out.join('');
}

/** The lines between (and including) the markers of each block. */
export function conflictBlocks(text: string): string[][] {
  const lines = text.split('\n');
  const result: string[][] = [];
  lines.forEach((line, i) => {
    if (!line.startsWith('<<<<<<< ')) return;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('>>>>>>> '));
    result.push(lines.slice(i, end + 1));
  });
  return result;
}
