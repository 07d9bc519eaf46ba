/**
 * Autodiscover errors. Every one lists what was tried, so `tidings doctor` can show a person
 * each URL and why it failed.
 *
 * | code | meaning | what a person does |
 * | --- | --- | --- |
 * | `EAS_ERR_AUTODISCOVER_BAD_EMAIL` | the address has no usable domain | fix the e-mail address in the config |
 * | `EAS_ERR_AUTODISCOVER_BAD_RESPONSE` | a response was hostile, oversized or not Autodiscover (recorded per attempt; thrown by the parsers) | nothing: the next candidate is tried |
 * | `EAS_ERR_AUTODISCOVER_UNAUTHORIZED` | an endpoint refused our credentials and none answered | check user name / password / sign-in |
 * | `EAS_ERR_AUTODISCOVER_SERVER_ERROR` | the server answered with an Autodiscover `<Error>` (e.g. unknown mailbox) | check the address; ask the admin |
 * | `EAS_ERR_AUTODISCOVER_TOO_MANY_HOPS` | more redirects than `maxHops` (MS-OXDSCLI 3.1.5: at most 10) | the server's redirects loop; set `url` by hand |
 * | `EAS_ERR_AUTODISCOVER_NOT_FOUND` | every candidate failed | set the account's `url` by hand |
 * | `EAS_ERR_AUTODISCOVER_ABORTED` | the caller's AbortSignal fired | — |
 */
export type AutodiscoverErrorCode =
  | 'EAS_ERR_AUTODISCOVER_BAD_EMAIL'
  | 'EAS_ERR_AUTODISCOVER_BAD_RESPONSE'
  | 'EAS_ERR_AUTODISCOVER_UNAUTHORIZED'
  | 'EAS_ERR_AUTODISCOVER_SERVER_ERROR'
  | 'EAS_ERR_AUTODISCOVER_TOO_MANY_HOPS'
  | 'EAS_ERR_AUTODISCOVER_NOT_FOUND'
  | 'EAS_ERR_AUTODISCOVER_ABORTED';

/** One URL tried and what came of it, in plain words. */
export interface AutodiscoverAttempt {
  url: string;
  outcome: string;
}

/** The one error class of Autodiscover; `attempts` is every URL tried, in order. */
export class AutodiscoverError extends Error {
  override readonly name = 'AutodiscoverError';
  readonly code: AutodiscoverErrorCode;
  readonly attempts: readonly AutodiscoverAttempt[];

  constructor(
    code: AutodiscoverErrorCode,
    message: string,
    opts: { attempts?: readonly AutodiscoverAttempt[]; cause?: unknown } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.code = code;
    this.attempts = opts.attempts ?? [];
  }
}
