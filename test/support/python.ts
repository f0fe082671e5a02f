import { spawn, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The Python side of the interop tests: a Python 3 that has PyYAML and filelock (what the paracle
 * Python tooling runs on), and our stand-in for that tooling, test/support/python/paracle_state.py.
 */

export const PYTHON_STATE_SCRIPT = fileURLToPath(new URL('./python/paracle_state.py', import.meta.url));

/** The one line a suite shows, skipped, where no such Python is found. */
export const PYTHON_MISSING =
  'needs a Python 3 with PyYAML and filelock: apt-get install -y python3-yaml python3-filelock (or pip install pyyaml filelock)';

const CANDIDATES = ['python3', '/usr/bin/python3', 'python'];
/** What the stand-in script needs: Python 3.8+, PyYAML's safe_load and dump, filelock's FileLock. */
const PROBE = 'import sys, yaml, filelock; assert sys.version_info >= (3, 8); yaml.safe_load, yaml.dump, filelock.FileLock';

let found: string | null | undefined;

/** The first of python3 on PATH, Debian's /usr/bin/python3, python that imports both modules; null if none does. */
export function findPython(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const candidate of CANDIDATES) {
    const probe = spawnSync(candidate, ['-c', PROBE], { stdio: 'ignore' });
    if (probe.status === 0) {
      found = candidate;
      break;
    }
  }
  return found;
}

export interface PythonRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs one command of the stand-in script and waits for it. */
export function runPythonState(args: string[], options: { input?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PythonRun> {
  const python = findPython();
  if (python === null) throw new Error(PYTHON_MISSING);
  return new Promise((resolve, reject) => {
    const child = spawn(python, [PYTHON_STATE_SCRIPT, ...args], { env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.stdin.end(options.input ?? '');
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Like runPythonState, and fails with Python's stderr unless it exits 0. */
export async function pythonState(args: string[], options: { input?: string } = {}): Promise<string> {
  const run = await runPythonState(args, options);
  if (run.code !== 0) throw new Error(`paracle_state.py ${args.join(' ')} failed (${run.code}): ${run.stderr}`);
  return run.stdout;
}

/** A value as PyYAML built it: its Python type name and a JSON form of it. */
export interface PythonValue {
  type: string;
  value: unknown;
}

/** How PyYAML (safe_load) reads a file: the typed value, or the error that makes `load_state` return None. */
export async function pyYamlRead(file: string): Promise<{ ok: true; data: PythonValue } | { ok: false; error: string }> {
  return JSON.parse(await pythonState(['read-yaml', file]));
}

/** Plain data from a PythonValue, when every node is a JSON type (dict keys must be strings); otherwise throws naming the odd node. */
export function plainFromPython(node: PythonValue, path = '$'): unknown {
  switch (node.type) {
    case 'dict': {
      const result: Record<string, unknown> = {};
      for (const [key, value] of node.value as Array<[PythonValue, PythonValue]>) {
        if (key.type !== 'str') throw new Error(`${path}: key ${JSON.stringify(key.value)} is a ${key.type}, not a str`);
        Object.defineProperty(result, key.value as string, {
          value: plainFromPython(value, `${path}.${String(key.value)}`),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
      return result;
    }
    case 'list':
      return (node.value as PythonValue[]).map((item, i) => plainFromPython(item, `${path}[${i}]`));
    case 'str':
    case 'bool':
    case 'int':
    case 'NoneType':
      return node.value;
    case 'float':
      return node.value === 'nan' ? Number.NaN : node.value === 'inf' ? Infinity : node.value === '-inf' ? -Infinity : node.value;
    default:
      throw new Error(`${path}: PyYAML read a ${node.type} (${JSON.stringify(node.value)})`);
  }
}
