/**
 * Errors of the hub. Every failure is a `HubError` with a stable code:
 *
 * | code | when | what a person can do |
 * | --- | --- | --- |
 * | `HUB_ERR_PAUSE_INVALID` | `pause` with neither a future `until` nor positive `minutes`, or both | give one: `{ "minutes": 60 }` or `{ "until": "2026-11-25T18:00:00Z" }` |
 */
export type HubErrorCode = 'HUB_ERR_PAUSE_INVALID';

/** The one error class of daemon/src/hub. */
export class HubError extends Error {
  override readonly name = 'HubError';
  readonly code: HubErrorCode;

  constructor(code: HubErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}
