import { matcherFor } from '../tasks/path-glob.js';

/**
 * File counts for the state's `metrics`: each metric is a name and the globs of the files it counts,
 * matched against project-relative paths. Nothing here knows a language: the defaults look at
 * folder names and file-name conventions common to most ecosystems, and a project can replace them
 * in `.parac/config/metrics.yaml`. Pure: paths in, counts out.
 */

export interface FileMetric {
  name: string;
  include: string[];
  exclude: string[];
}

/** Never counted: the workspace's own files and dependency folders a tree walk would find. */
export const ALWAYS_EXCLUDED = ['.parac/', '.git/', '**/node_modules/', '**/.git/'];

export const DEFAULT_FILE_METRICS: readonly FileMetric[] = [
  { name: 'total_files', include: ['**'], exclude: [] },
  {
    name: 'source_files',
    include: ['src/', 'lib/', 'packages/', 'app/', 'cmd/', 'internal/', 'pkg/'],
    exclude: ['**/test/', '**/tests/', '**/*.test.*', '**/*.spec.*', '**/*_test.*', '**/test_*.*'],
  },
  {
    name: 'test_files',
    include: [
      'test/',
      'tests/',
      'spec/',
      '**/__tests__/',
      '**/test/',
      '**/tests/',
      '**/*.test.*',
      '**/*.spec.*',
      '**/*_test.*',
      '**/test_*.*',
    ],
    exclude: [],
  },
  { name: 'documentation_files', include: ['docs/', 'doc/', '**/*.md', '**/*.rst', '**/*.adoc'], exclude: [] },
];

export function countFiles(paths: readonly string[], metrics: readonly FileMetric[]): Record<string, number> {
  const excludedEverywhere = matcherFor(ALWAYS_EXCLUDED);
  const counted = paths.filter((path) => !excludedEverywhere(path));
  const result: Record<string, number> = {};
  for (const metric of metrics) {
    const included = matcherFor(metric.include);
    const excluded = matcherFor(metric.exclude);
    result[metric.name] = counted.filter((path) => included(path) && !excluded(path)).length;
  }
  return result;
}
