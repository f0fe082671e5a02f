// A state file `factor` times the size of the real one: the real file followed by copies of its
// sections under renamed top-level keys, so it has the same mix of scalars, lists, block scalars
// and comments. Used by the benchmark (cost vs size) and the crash test (a ~10× file).
import { readFileSync } from 'node:fs';

export function scaledStateText(realText, factor) {
  const body = realText
    .split('\n')
    .filter((line) => !/^(version|snapshot_date|revision):/.test(line))
    .join('\n');
  let text = realText.endsWith('\n') ? realText : `${realText}\n`;
  for (let copy = 1; copy < factor; copy += 1) {
    text += body.replace(/^([A-Za-z_][\w-]*):/gm, `$1_copy${copy}:`);
    if (!text.endsWith('\n')) text += '\n';
  }
  return text;
}

export function scaledStateFromFile(path, factor) {
  return scaledStateText(readFileSync(path, 'utf8'), factor);
}
