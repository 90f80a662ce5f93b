/**
 * The producers' partitioner: kafkajs's default (the Java client's murmur2 of the key, modulo
 * the topic's partitions), remembered per topic and key. kafkajs partitions every message of
 * every send afresh (the key copied into a buffer, murmur2 in 64-bit Long arithmetic, the
 * partition list filtered): a burst's recommendations and a replay's samples repeat the same
 * keys, so each key is hashed once per partition count. Messages with a partition or without a
 * string key go to kafkajs's partitioner as before; the partitions chosen are the same.
 */
import { Partitioners, type ICustomPartitioner } from 'kafkajs';

/** Keys remembered per topic; past that the topic's memo starts over. */
export const MAX_KEYS_PER_TOPIC = 200_000;

export const keyedPartitioner: ICustomPartitioner = () => {
  const fallback = Partitioners.DefaultPartitioner();
  const memo = new Map<string, { partitions: number; keys: Map<string, number> }>();
  return (args) => {
    const { topic, partitionMetadata, message } = args;
    if ((message.partition !== undefined && message.partition !== null) || typeof message.key !== 'string') return fallback(args);
    let t = memo.get(topic);
    if (!t || t.partitions !== partitionMetadata.length || t.keys.size >= MAX_KEYS_PER_TOPIC)
      memo.set(topic, (t = { partitions: partitionMetadata.length, keys: new Map() }));
    let p = t.keys.get(message.key);
    if (p === undefined) t.keys.set(message.key, (p = fallback(args)));
    return p;
  };
};
