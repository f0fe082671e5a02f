/**
 * Task "changelog": under `## [Unreleased]` in `.parac/changelog.md`, a `### Changed (YYYY-MM-DD)`
 * block with one bullet per area changed that day. The block is created once per day (placed first,
 * newest on top); a later commit the same day only adds bullets for areas not listed yet, so each
 * area appears at most once per day. Returns null when nothing needs to change, or when the file
 * has no `## [Unreleased]` section (a hand-kept changelog is not restructured).
 */
export function addChangelogEntry(text: string, labels: readonly string[], date: string): string | null {
  if (labels.length === 0) return null;
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const unreleased = lines.findIndex((line) => /^##\s+\[Unreleased\]\s*$/i.test(line));
  if (unreleased === -1) return null;
  const sectionEnd = findIndex(lines, unreleased + 1, (line) => /^##\s/.test(line), lines.length);

  const heading = `### Changed (${date})`;
  const existing = findIndex(lines, unreleased + 1, (line) => line.trim() === heading, -1);
  if (existing !== -1 && existing < sectionEnd) {
    const blockEnd = findIndex(lines, existing + 1, (line) => /^#{1,3}\s/.test(line), sectionEnd);
    const listed = new Set(lines.slice(existing + 1, blockEnd).map((line) => line.trim()));
    const missing = labels.filter((label) => !listed.has(`- ${label}`));
    if (missing.length === 0) return null;
    let lastBullet = existing;
    for (let i = existing + 1; i < blockEnd; i += 1) if (lines[i]!.startsWith('- ')) lastBullet = i;
    const at = lastBullet === existing ? existing + 1 : lastBullet + 1;
    const insert = lastBullet === existing ? ['', ...missing.map((l) => `- ${l}`)] : missing.map((l) => `- ${l}`);
    return [...lines.slice(0, at), ...insert, ...lines.slice(at)].join(eol);
  }

  const block = [heading, '', ...labels.map((l) => `- ${l}`), ''];
  // After the heading and the blank lines that follow it; keep exactly one blank line before the block.
  let at = unreleased + 1;
  while (at < lines.length && lines[at]!.trim() === '' && at < sectionEnd) at += 1;
  const before = [...lines.slice(0, unreleased + 1), ''];
  const after = lines.slice(at);
  return [...before, ...block, ...after].join(eol);
}

function findIndex(lines: readonly string[], from: number, test: (line: string) => boolean, otherwise: number): number {
  for (let i = from; i < lines.length; i += 1) if (test(lines[i]!)) return i;
  return otherwise;
}
