/** A dead letter of the processor, for codec and dead-letter tests; fields overridden as given. */
import type { DeadLetter } from '../../src/codec/generated-types.js';

export const deadLetter = (over: Partial<DeadLetter> = {}): DeadLetter => ({
  reason: 'undecodable',
  detail: 'not JSON',
  service: 'processor',
  sourceTopic: 'metrics.v1',
  sourcePartition: 2,
  sourceOffset: 41,
  sourceTimestamp: 1_790_000_000_000,
  key: Buffer.from('k'),
  value: Buffer.from('{"x":1'),
  headers: { origin: Buffer.from('a') },
  rejectedAt: 1_790_000_000_500,
  truncation: null,
  ...over,
});
