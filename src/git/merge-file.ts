import { runGit } from './run-git.js';

/**
 * git's own line-based three-way merge of three files (`git merge-file`), printed rather than
 * written: what git does for a file with no merge driver, used by the driver as its fallback when
 * the state cannot be merged structurally. `conflicts` is how many conflict blocks it left.
 * `clean` environment: it reads only the files named, never a repository.
 */
export interface TextMergeFiles {
  current: string;
  base: string;
  other: string;
}

export async function mergeFilesAsText(
  cwd: string,
  files: TextMergeFiles,
  options: { labels: [current: string, base: string, other: string]; markerSize?: number },
): Promise<{ text: string; conflicts: number }> {
  const [current, base, other] = options.labels;
  const { stdout, exitCode } = await runGit(
    [
      'merge-file',
      '-p',
      `--marker-size=${options.markerSize ?? 7}`,
      '-L',
      current,
      '-L',
      base,
      '-L',
      other,
      '--',
      files.current,
      files.base,
      files.other,
    ],
    // The exit code is the number of conflicts (capped at 127); a negative one (≥ 128) is an error.
    { cwd, env: 'clean', okExitCodes: Array.from({ length: 127 }, (_, i) => i + 1) },
  );
  return { text: stdout, conflicts: exitCode };
}
