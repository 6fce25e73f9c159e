/**
 * Exit codes a pipeline can branch on. Stable: they are part of the CLI's
 * contract (see the README).
 *
 * @public
 */
export const ExitCode = {
  /** Done: recorded, allowed, approved, succeeded. */
  OK: 0,
  /** Something unexpected; the message says what. */
  ERROR: 1,
  /** Bad input: a wrong option, an unreadable report, or 400/404/413/422 from the portal. */
  BAD_INPUT: 2,
  /** Refused: the gates refused the promotion, or an approver rejected it. */
  REFUSED: 3,
  /** Failed: the promotion failed, errored, was aborted or rolled back, or the portal answered 409. */
  FAILED: 4,
  /** Timed out waiting (--timeout). */
  TIMED_OUT: 5,
  /** The portal could not be reached, or kept failing (5xx) after retries. */
  UNREACHABLE: 6,
  /** The token is missing, invalid, or lacks the permission (401/403). */
  NOT_ALLOWED: 7,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** An error that ends the command with a given exit code. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCodeValue,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}
