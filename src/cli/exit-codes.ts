/** The CLI's exit codes; documented in the README and relied on by scripts and CI. */
export const EXIT = {
  ok: 0,
  failed: 1,
  usage: 2,
  lockTimeout: 3,
  conflict: 4,
  engineUnavailable: 5,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Thrown by a command to end with a given code after it has already printed what it had to say. */
export class CliExit extends Error {
  constructor(
    readonly exitCode: ExitCode,
    message = '',
  ) {
    super(message);
  }
}
