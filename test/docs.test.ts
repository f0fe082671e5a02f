import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, PROJECT_ROOT, runNode } from './support/git-repo.js';

/**
 * The README stays a five-minute read with the reference in docs/, and the two stay connected:
 * README.md under 15 KB, every relative link in README.md and docs/*.md reaching an existing file
 * (and heading), every doc linked from the README, and every command and option the built CLI's
 * `--help` lists documented in docs/commands.md.
 */

const README_LIMIT_BYTES = 15_000;
const DOCS_DIR = join(PROJECT_ROOT, 'docs');
const COMMANDS_DOC = join(DOCS_DIR, 'commands.md');

function markdownFiles(): string[] {
  const docs = readdirSync(DOCS_DIR)
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(DOCS_DIR, name));
  return [join(PROJECT_ROOT, 'README.md'), ...docs];
}

/** The text outside fenced code blocks, as lines (links and headings in code are examples, not links). */
function proseLines(text: string): string[] {
  const lines: string[] = [];
  let fenced = false;
  for (const line of text.split('\n')) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (!fenced) lines.push(line);
  }
  return lines;
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of proseLines(text)) {
    const heading = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)?.[1];
    if (heading === undefined) continue;
    const slug = heading
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    anchors.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return anchors;
}

/** Relative link targets in a Markdown text: `[text](target)` outside code, not URLs. */
function relativeLinks(text: string): string[] {
  const targets: string[] = [];
  // Paragraph by paragraph: a code span may wrap onto the next line.
  for (const paragraph of proseLines(text)
    .join('\n')
    .split(/\n\s*\n/)) {
    const withoutCode = paragraph.replace(/`[^`]*`/g, '``');
    for (const match of withoutCode.matchAll(/\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
      const target = match[1]!;
      if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue;
      targets.push(target);
    }
  }
  return targets;
}

/** Links in `file` whose file, or whose heading in a Markdown file, does not exist. */
function brokenLinks(file: string, text: string = readFileSync(file, 'utf8')): string[] {
  const broken: string[] = [];
  for (const target of relativeLinks(text)) {
    const [path = '', anchor] = target.split('#', 2);
    const resolved = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
    if (!existsSync(resolved)) {
      broken.push(`${target}: no such file`);
      continue;
    }
    if (anchor !== undefined && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      const headings = headingAnchors(path === '' ? text : readFileSync(resolved, 'utf8'));
      if (!headings.has(anchor)) broken.push(`${target}: no such heading`);
    }
  }
  return broken;
}

/** The entries of one `--help` section ("Commands:" or "Options:"), each the line's first column. */
function helpSection(help: string, title: 'Commands:' | 'Options:'): string[] {
  const start = help.indexOf(`\n${title}\n`);
  if (start === -1) return [];
  const entries: string[] = [];
  for (const line of help.slice(start + title.length + 2).split('\n')) {
    if (line.trim() === '') break;
    const entry = /^ {2}(\S.*?)(?: {2,}|$)/.exec(line)?.[1];
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

function longOptions(help: string): string[] {
  return helpSection(help, 'Options:')
    .flatMap((entry) => entry.match(/--[a-z][a-z-]*/g) ?? [])
    .filter((option) => option !== '--help');
}

async function help(args: string[]): Promise<string> {
  const result = await runNode([CLI, ...args, '--help'], PROJECT_ROOT, { NO_COLOR: '1' });
  expect(result.exitCode, result.stderr).toBe(0);
  return result.stdout;
}

/** The `## ...` section of docs/commands.md whose heading names `paracle <command>` (or one of its subcommands). */
function commandSection(doc: string, command: string): string | undefined {
  const sections = doc.split(/\n(?=## )/);
  return sections.find((section) => section.startsWith(`## \`paracle ${command}\``) || section.startsWith(`## \`paracle ${command} `));
}

describe('README.md', () => {
  it(`is under ${README_LIMIT_BYTES} bytes`, () => {
    expect(statSync(join(PROJECT_ROOT, 'README.md')).size).toBeLessThan(README_LIMIT_BYTES);
  });

  it('links every document in docs/', () => {
    const links = new Set(relativeLinks(readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8')).map((target) => target.split('#')[0]));
    const docs = readdirSync(DOCS_DIR).filter((name) => name.endsWith('.md'));
    expect(docs.length).toBeGreaterThan(0);
    expect(docs.filter((name) => !links.has(`docs/${name}`))).toEqual([]);
  });

  it('keeps the quick start: the demo and the tests, each a script package.json has', () => {
    const readme = readFileSync(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const scripts = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    const quickStart = /## Quick start\n[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
    const commands = quickStart
      .split('\n')
      .map((line) => line.replace(/#.*$/, '').trim())
      .filter((line) => line !== '');
    expect(commands).toEqual(['npm ci && npm run demo', 'npm test']);
    expect(scripts.demo).toBeDefined();
    expect(scripts.test).toBeDefined();
  });
});

describe('relative links in README.md and docs/*.md', () => {
  it.each(markdownFiles().map((file) => [relative(PROJECT_ROOT, file), file]))(
    '%s: every link reaches a file and heading',
    (_name, file) => {
      expect(relativeLinks(readFileSync(file, 'utf8')).length).toBeGreaterThan(0);
      expect(brokenLinks(file)).toEqual([]);
    },
  );

  it('the checker itself reports a missing file and a missing heading, and ignores code and URLs', () => {
    const file = join(PROJECT_ROOT, 'README.md');
    const text = [
      '# Title: with `code`',
      '[ok](#title-with-code) [ok](docs/commands.md#exit-codes) [ok](LICENSE) [url](https://example.com/x.md)',
      '[gone](docs/no-such-file.md) [gone](docs/commands.md#no-such-heading) [gone](#nope)',
      '`[code](not-a-link.md)` and a span that `wraps',
      'onto [the next](line.md) line`',
      '```md',
      '[fenced](also-not-a-link.md)',
      '```',
    ].join('\n');
    expect(brokenLinks(file, text)).toEqual([
      'docs/no-such-file.md: no such file',
      'docs/commands.md#no-such-heading: no such heading',
      '#nope: no such heading',
    ]);
  });
});

describe('docs/commands.md documents the built CLI', () => {
  it('has a section for every command and subcommand `paracle --help` lists, naming each of its options', async () => {
    const doc = readFileSync(COMMANDS_DOC, 'utf8');
    const commands = helpSection(await help([]), 'Commands:')
      .map((entry) => entry.split(' ')[0]!)
      .filter((name) => name !== 'help');
    expect(commands.length).toBeGreaterThan(5);
    const missing: string[] = [];
    for (const command of commands) {
      const commandHelp = await help([command]);
      const section = commandSection(doc, command);
      if (section === undefined) {
        missing.push(`no "## \`paracle ${command}\`" section`);
        continue;
      }
      for (const option of longOptions(commandHelp)) {
        if (!section.includes(option)) missing.push(`paracle ${command}: option ${option}`);
      }
      const subcommands = helpSection(commandHelp, 'Commands:')
        .map((entry) => entry.split(' ')[0]!)
        .filter((name) => name !== 'help');
      for (const subcommand of subcommands) {
        if (!section.includes(`paracle ${command} ${subcommand}`)) missing.push(`paracle ${command} ${subcommand}`);
        for (const option of longOptions(await help([command, subcommand]))) {
          if (!section.includes(option)) missing.push(`paracle ${command} ${subcommand}: option ${option}`);
        }
      }
    }
    expect(missing).toEqual([]);
  });

  it('lists every global option', async () => {
    const doc = readFileSync(COMMANDS_DOC, 'utf8');
    const globals = /## Global options\n[\s\S]*?(?=\n## )/.exec(doc)?.[0] ?? '';
    const options = longOptions(await help([]));
    expect(options).toContain('--timeout');
    expect(options.filter((option) => !globals.includes(option))).toEqual([]);
  });
});
