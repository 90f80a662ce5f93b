import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { keyedPartitioner, MAX_KEYS_PER_TOPIC } from '../../../src/kafka/partitioner.js';

const meta = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, i) => ({ partitionId: i, leader: 1, partitionErrorCode: 0, replicas: [1], isr: [1], offlineReplicas: [] }));

test('keyed partitioner: the same partitions as kafkajs default (murmur2) for string keys, remembered per topic and partition count', () => {
  const ours = keyedPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  const keys = [
    'prod/Deployment/checkout',
    'a',
    '',
    'ns-ünïcode/StatefulSet/db',
    ...Array.from({ length: 500 }, (_, i) => `team-${i}/Deployment/w${i * 7919}`),
  ];
  for (const n of [1, 3, 6, 7]) {
    for (const round of [0, 1]) {
      for (const key of keys) {
        const args = { topic: 't', partitionMetadata: meta(n), message: { key, value: null } };
        assert.equal(ours(args), theirs(args), `key ${JSON.stringify(key)}, ${n} partitions, ${round ? 'remembered' : 'first'}`);
      }
    }
  }
  // an explicit partition wins; a buffer key goes to kafkajs's partitioner (same result)
  assert.equal(ours({ topic: 't', partitionMetadata: meta(6), message: { key: 'a', value: null, partition: 4 } }), 4);
  const buf = { topic: 't', partitionMetadata: meta(6), message: { key: Buffer.from('prod/Deployment/checkout'), value: null } };
  assert.equal(ours(buf), theirs(buf));
  assert.equal(ours(buf), ours({ topic: 't', partitionMetadata: meta(6), message: { key: 'prod/Deployment/checkout', value: null } }));
});

test('keyed partitioner: the memo of a topic starts over past its bound and stays correct', () => {
  const ours = keyedPartitioner();
  const theirs = Partitioners.DefaultPartitioner();
  for (let i = 0; i < MAX_KEYS_PER_TOPIC + 10; i += 997) {
    const args = { topic: 'x', partitionMetadata: meta(12), message: { key: `k${i}`, value: null } };
    assert.equal(ours(args), theirs(args));
  }
});
