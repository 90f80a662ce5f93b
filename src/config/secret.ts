/**
 * A secret value (password, key) that cannot end up in a log line or an error by accident:
 * it prints, stringifies and serialises as "[redacted]"; only reveal() gives the value, and
 * only the code that hands it to a client library calls it.
 */
import { inspect } from 'node:util';
import { addSecret } from '../telemetry/log.js';

export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
    addSecret(value); // and where a server echoes it back (an error body), log lines are scrubbed of it
  }

  reveal(): string {
    return this.#value;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}
