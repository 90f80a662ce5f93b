/**
 * One error base for the whole code base, after kafkajs's KafkaJSError: a closed set of
 * codes, a `retriable` flag and a `cause`. Callers decide to retry, dead-letter or stop from
 * `code` and `retriable`, never by matching message text.
 */
export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'STACK_START_FAILED'
  | 'STACK_ARTIFACTS_MISSING'
  | 'DECODE_FAILED'
  | 'VALIDATION_FAILED'
  | 'REGISTRY_UNAVAILABLE'
  | 'REDIS_UNAVAILABLE'
  | 'REDIS_SCRIPT_FAILED'
  | 'REDIS_STATE_LOST'
  | 'KAFKA_UNAVAILABLE'
  | 'ALERTMANAGER_UNAVAILABLE'
  | 'AUTH_FAILED'
  | 'INPUT_INVALID'
  | 'POLICY_INVALID'
  | 'MAPPING_INVALID'
  | 'MANIFEST_EDIT_FAILED'
  | 'UNSAFE_PATH'
  | 'COMMIT_CONFLICT'
  | 'COMMIT_REFUSED'
  | 'COMMIT_FAILED'
  | 'STOPPED_BY_SIGNAL';

export class ForesightError extends Error {
  readonly code: ErrorCode;
  readonly retriable: boolean;

  constructor(code: ErrorCode, message: string, opts: { retriable?: boolean; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'ForesightError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

/** A configuration value that failed validation; `variable` is the environment variable or file key. */
export class ConfigError extends ForesightError {
  readonly variable: string;

  constructor(variable: string, message: string) {
    super('CONFIG_INVALID', `${variable}: ${message}`);
    this.name = 'ConfigError';
    this.variable = variable;
  }
}

/** Why a message could not be used. The reason is a closed code that goes into the dead letter. */
export type RejectReason =
  | 'undecodable'
  | 'schema-unknown'
  | 'invalid-field'
  | 'not-finite'
  | 'negative-value'
  | 'out-of-range'
  | 'clock-skew'
  | 'late'
  // the committer's: the recommendation cannot become a manifest change
  | 'unknown-workload'
  | 'path-traversal'
  | 'not-managed'
  | 'ambiguous-target'
  | 'out-of-bounds'
  | 'manifest-invalid'
  | 'conflict'
  // the remote refused the push: branch protection, a pre-receive hook (retrying cannot help)
  | 'push-refused'
  // a critical change needs a pull request, and the backend cannot keep one (a local backend with a URL remote)
  | 'review-unavailable'
  // the alert bridge's: Alertmanager refused the alert (HTTP 4xx)
  | 'alertmanager-rejected'
  // the committer's: the field's value in the repository is not the one the recommendation was made from
  | 'stale-current'
  // no valid policy was ever loaded: the bounds are unknown, nothing is committed
  | 'policy-unavailable';

export class RejectedMessage extends ForesightError {
  readonly reason: RejectReason;

  constructor(reason: RejectReason, detail: string, cause?: unknown) {
    super(reason === 'undecodable' || reason === 'schema-unknown' ? 'DECODE_FAILED' : 'VALIDATION_FAILED', detail, { cause });
    this.name = 'RejectedMessage';
    this.reason = reason;
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
