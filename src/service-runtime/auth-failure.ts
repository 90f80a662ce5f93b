/**
 * A service that cannot authenticate stops at once with one line naming the variables to
 * check, rather than retrying for minutes: wrong credentials do not heal by waiting. Failures
 * are recognised by type (kafkajs's KafkaJSSASLAuthenticationError) or protocol status (HTTP
 * 401/403), never by message text; the message never holds a password.
 */
import type { ServiceConfig } from '../config/config.js';
import { ForesightError } from '../util/errors.js';

const PW = (base: string): string => `${base}_FILE (or ${base})`;

export function asAuthFailure(err: unknown, cfg: ServiceConfig): unknown {
  // the failure itself, or the cause of an error that wraps it (schemas.ts wraps the registry's)
  for (let e = err as { name?: string; status?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; e = e.cause as typeof e, depth++) {
    const found = authFailureOf(e, err, cfg);
    if (found) return found;
  }
  return err;
}

function authFailureOf(e: { name?: string; status?: unknown }, err: unknown, cfg: ServiceConfig): ForesightError | undefined {
  if (e?.name === 'KafkaJSSASLAuthenticationError') {
    const sasl = cfg.kafka.security?.sasl;
    const who = sasl ? `the SASL ${sasl.mechanism.toUpperCase()} credentials of user "${sasl.username}"` : 'the connection';
    return new ForesightError(
      'AUTH_FAILED',
      `Kafka (${cfg.kafka.brokers.join(',')}) refused ${who}: authentication failed; check FORESIGHT_KAFKA_SASL_MECHANISM, FORESIGHT_KAFKA_SASL_USERNAME and ${PW('FORESIGHT_KAFKA_SASL_PASSWORD')}`,
      { cause: err },
    );
  }
  if (e?.name === 'ResponseError' && (e.status === 401 || e.status === 403)) {
    const auth = cfg.registry.security?.auth;
    const hint = auth
      ? `${e.status === 401 ? 'refused the credentials' : 'denied access to'} of user "${auth.username}" (HTTP ${e.status}); check FORESIGHT_SCHEMA_REGISTRY_USERNAME and ${PW('FORESIGHT_SCHEMA_REGISTRY_PASSWORD')}`
      : `requires authentication (HTTP ${e.status}); set FORESIGHT_SCHEMA_REGISTRY_USERNAME and ${PW('FORESIGHT_SCHEMA_REGISTRY_PASSWORD')}`;
    return new ForesightError('AUTH_FAILED', `the schema registry at ${cfg.registry.url} ${hint}`, { cause: err });
  }
  return undefined;
}

/** Runs fn; an authentication failure becomes a non-retriable AUTH_FAILED error (retry() then stops). */
export async function failFastOnAuth<T>(cfg: ServiceConfig, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw asAuthFailure(err, cfg);
  }
}
