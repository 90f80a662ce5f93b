/**
 * Structured JSON logs (pino) on stderr, so that stdout stays free for command output
 * (benchmarks print their JSON figures there).
 */
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(service: string, level = process.env.FORESIGHT_LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: service, level, base: { service } }, pino.destination(2));
}
