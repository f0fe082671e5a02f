import { readTextIfExists } from '../fs/read-text.js';
import { join } from 'node:path';
import { ParacleError } from '../errors.js';
import { DEFAULT_FILE_METRICS, type FileMetric } from './file-metrics.js';

/**
 * `.parac/config/metrics.yaml`: which file counts `paracle sync` writes into `metrics`. A metric is
 * a list of globs, or `{ include, exclude }`. When the file names any metric, it replaces the
 * defaults entirely (so a project never gets counts it did not ask for).
 *
 *   metrics:
 *     total_files: ["**"]
 *     python_files: { include: ["**\/*.py"], exclude: [tests/] }
 */

export const METRICS_CONFIG_RELATIVE = join('config', 'metrics.yaml');

export async function readMetricsConfig(paracRoot: string): Promise<readonly FileMetric[]> {
  const file = join(paracRoot, METRICS_CONFIG_RELATIVE);
  const text = await readTextIfExists(file).catch((error: unknown) => {
    throw configError(file, `cannot read: ${(error as Error).message}`);
  });
  if (text === null) return DEFAULT_FILE_METRICS;
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(text, { uniqueKeys: true });
  const error = doc.errors[0];
  if (error) {
    const at = error.linePos?.[0];
    throw configError(at ? `${file}:${at.line}:${at.col}` : file, error.message.split('\n')[0]!);
  }
  return parseMetricsConfig(doc.toJS({ maxAliasCount: 100 }) as unknown, file);
}

export function parseMetricsConfig(raw: unknown, file: string): readonly FileMetric[] {
  if (raw === null || raw === undefined) return DEFAULT_FILE_METRICS;
  const root = mapping(raw, 'the file', file);
  for (const key of Object.keys(root)) if (key !== 'metrics') throw configError(file, `unknown key "${key}" (expected: metrics)`);
  if (root.metrics === undefined || root.metrics === null) return DEFAULT_FILE_METRICS;
  return Object.entries(mapping(root.metrics, 'metrics', file)).map(([name, spec]) => {
    const where = `metrics.${name}`;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw configError(file, `${where}: a metric name is letters, digits and _`);
    if (typeof spec === 'string' || Array.isArray(spec)) return { name, include: globs(spec, where, file), exclude: [] };
    const fields = mapping(spec, where, file);
    for (const key of Object.keys(fields)) {
      if (key !== 'include' && key !== 'exclude') throw configError(file, `${where}: unknown key "${key}" (expected: include, exclude)`);
    }
    return {
      name,
      include: globs(fields.include, `${where}.include`, file),
      exclude: fields.exclude === undefined ? [] : globs(fields.exclude, `${where}.exclude`, file),
    };
  });
}

function globs(value: unknown, where: string, file: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((p) => typeof p === 'string' && p !== '')) {
    throw configError(file, `${where} must be a glob or a non-empty list of globs, e.g. ["src/**"]`);
  }
  return list as string[];
}

function mapping(value: unknown, where: string, file: string): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw configError(file, `${where} must be a mapping of keys`);
  return value as Record<string, unknown>;
}

function configError(file: string, reason: string): ParacleError {
  return new ParacleError('METRICS_CONFIG', `${file}: ${reason}`);
}
