/** Argument parsers shared by the subcommands; errors go through commander's usage output. */
import { InvalidArgumentError } from 'commander';
import { createLogger, type Logger } from '../telemetry/log.js';

export function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgumentError('expected a TCP port in [1, 65535]');
  return n;
}

export function parsePositiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('expected a positive integer');
  return n;
}

export function parseNonNegativeInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('expected an integer ≥ 0');
  return n;
}

export function parseFraction(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0 || n >= 1) throw new InvalidArgumentError('expected a number in [0, 1)');
  return n;
}

export function parsePositiveNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('expected a positive number');
  return n;
}

export function parseNonNegativeNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError('expected a number ≥ 0');
  return n;
}

/** The model execution providers: FORESIGHT_EXECUTION_PROVIDERS (validated), default cuda then cpu. */
export async function executionProviders(): Promise<('cuda' | 'cpu')[]> {
  const { readVar } = await import('../config/env.js');
  const { EXECUTION_PROVIDERS } = await import('../config/variables.js');
  return readVar(EXECUTION_PROVIDERS, process.env);
}

/**
 * The logger of a one-shot CLI command: its JSON log lines start at `warn` (FORESIGHT_LOG_LEVEL
 * overrides), so the command's own human output is not interleaved with routine info lines.
 */
export function cliLogger(command: string): Logger {
  return createLogger(command, process.env.FORESIGHT_LOG_LEVEL ?? 'warn');
}
