/** Hostile inputs: messages built to break a parser (deep nesting, huge sizes). */

/** A Prometheus-adapter JSON sample whose label `evil` is an array nested `depth` deep. */
export function deeplyNestedPrometheus(depth: number, timeMs: number): Buffer {
  const head = JSON.stringify({
    timestamp: new Date(timeMs).toISOString(),
    value: '1',
    name: 'cpu_usage',
    labels: { namespace: 'shop', deployment: 'web' },
  }).slice(0, -2);
  return Buffer.from(`${head},"evil":${'['.repeat(depth)}${']'.repeat(depth)}}}`);
}

/** An OTLP/JSON request whose resource attribute `evil` is an arrayValue nested `depth` deep. */
export function deeplyNestedOtlp(depth: number, timeMs: number): Buffer {
  const open = '{"arrayValue":{"values":['.repeat(depth);
  const close = ']}}'.repeat(depth);
  const attr = (k: string, v: string): string => `{"key":"${k}","value":{"stringValue":"${v}"}}`;
  return Buffer.from(
    `{"resourceMetrics":[{"resource":{"attributes":[${attr('k8s.namespace.name', 'shop')},${attr('k8s.deployment.name', 'web')},{"key":"evil","value":${open}${close}}]},` +
      `"scopeMetrics":[{"metrics":[{"name":"cpu_usage","unit":"1","gauge":{"dataPoints":[{"timeUnixNano":"${BigInt(timeMs) * 1_000_000n}","asDouble":1}]}}]}]}]}`,
  );
}
