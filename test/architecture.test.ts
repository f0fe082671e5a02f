import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The folders of src/ form layers with a direction: bottom to top, fs and the YAML document → lock
 * → log and reconcile → store → tasks, hooks, sync, verify, merge driver → CLI. Every import counts
 * (static, type-only, re-exports and dynamic `import()`): a type-only import still couples two
 * folders, and a dynamic one is a cycle taken later. A file directly in src/ is its own node.
 */

const SRC = resolve(import.meta.dirname, '..', 'src');

/** Bottom (0) to top. A folder imports only folders of its own layer or below, and never in a loop. */
const LAYERS: readonly (readonly string[])[] = [
  ['errors.ts', 'fs', 'git', 'text'],
  ['document'],
  ['lock', 'state'],
  ['log', 'reconcile', 'validate', 'engine'],
  ['store', 'schema'],
  ['history'],
  ['tasks', 'config', 'metrics', 'hooks-install', 'hooks-run', 'sync', 'verify', 'merge-driver'],
  ['index.ts', 'code-cache.ts', 'cli'],
];

interface ImportEdge {
  from: string;
  to: string;
  /** `src/...` file and the specifier it wrote, for the failure message. */
  site: string;
}

function nodeOf(pathInSrc: string): string {
  return pathInSrc.split('/')[0]!;
}

/** Every relative import in src/, as folder → folder edges (same-folder imports dropped). */
function readImportEdges(): ImportEdge[] {
  const files = readdirSync(SRC, { recursive: true, encoding: 'utf8' }).filter((file) => file.endsWith('.ts'));
  const edges: ImportEdge[] = [];
  for (const file of files) {
    const text = readFileSync(join(SRC, file), 'utf8');
    // readImportFiles + detectJavaScriptImports: `import type`, `export … from` and `import()` too.
    for (const imported of ts.preProcessFile(text, true, true).importedFiles) {
      if (!imported.fileName.startsWith('.')) continue;
      const target = relative(SRC, resolve(dirname(join(SRC, file)), imported.fileName));
      if (target.startsWith('..')) continue; // package.json, read for the version
      const from = nodeOf(file);
      const to = nodeOf(target.replace(/\.js$/, '.ts'));
      if (from !== to) edges.push({ from, to, site: `src/${file} imports ${imported.fileName}` });
    }
  }
  return edges;
}

/** The import cycles between folders: each strongly connected component of more than one folder. */
export function folderCycles(edges: readonly { from: string; to: string }[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (!next.has(from)) next.set(from, new Set());
    if (!next.has(to)) next.set(to, new Set());
    next.get(from)!.add(to);
  }
  // Tarjan's algorithm.
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const to of next.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node)!, low.get(to)!));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node)!, index.get(to)!));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) visit(node);
  return cycles;
}

function layerOf(node: string): number {
  return LAYERS.findIndex((layer) => layer.includes(node));
}

describe('architecture: folder layers of src/', () => {
  const edges = readImportEdges();

  it('the import reader sees static, type-only and dynamic imports across folders', () => {
    expect(edges.length).toBeGreaterThan(50);
    const sites = edges.map((edge) => edge.site);
    // One of each kind, known to exist: if the reader stopped seeing a kind, this fails.
    expect(sites).toContain('src/store/store.ts imports ../lock/lock.js');
    expect(sites).toContain('src/cli/command-context.ts imports ../errors.js');
    expect(sites.some((site) => site.startsWith('src/cli/sync.ts imports ../sync/'))).toBe(true); // `await import()`
    expect(sites).toContain('src/cli/bin.ts imports ../code-cache.js');
  });

  it('the cycle finder finds a cycle when there is one', () => {
    expect(
      folderCycles([
        { from: 'a', to: 'b' },
        { from: 'b', to: 'c' },
        { from: 'c', to: 'a' },
        { from: 'c', to: 'd' },
      ]),
    ).toEqual([['a', 'b', 'c']]);
    expect(folderCycles([{ from: 'a', to: 'b' }])).toEqual([]);
  });

  it('no folder imports another in a loop (type-only and dynamic imports included)', () => {
    const cycles = folderCycles(edges);
    const explained = cycles.map((cycle) =>
      edges
        .filter((edge) => cycle.includes(edge.from) && cycle.includes(edge.to))
        .map((edge) => edge.site)
        .join('\n'),
    );
    expect(explained).toEqual([]);
  });

  it('nothing outside src/cli/ imports the CLI', () => {
    expect(edges.filter((edge) => edge.to === 'cli').map((edge) => edge.site)).toEqual([]);
  });

  it('every folder has a layer, and imports only its own layer or below', () => {
    const nodes = new Set(edges.flatMap((edge) => [edge.from, edge.to]));
    expect([...nodes].filter((node) => layerOf(node) === -1)).toEqual([]);
    const upward = edges.filter((edge) => layerOf(edge.to) > layerOf(edge.from)).map((edge) => edge.site);
    expect(upward).toEqual([]);
  });
});
