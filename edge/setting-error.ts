/**
 * A setting the edge cannot use. edge/config.ts turns every one into the same answer, a 503
 * `edge_misconfigured` whose message names the setting, and logs it once per isolate. The bad
 * value goes to the log only: a node URL or a secret is none of the client's business.
 */
import { ApiError } from '../shared/errors.ts'

export class SettingError extends ApiError {
  /** The message, and what only the log may add (the bad value, when it is no secret). */
  readonly logLine: string

  constructor(message: string, logDetail?: string) {
    super(503, `the edge is misconfigured: ${message}`, { code: 'edge_misconfigured' })
    this.logLine = logDetail === undefined ? this.message : `${this.message} (${logDetail})`
  }
}
