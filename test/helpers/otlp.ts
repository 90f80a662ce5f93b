/** An OTLP/JSON ExportMetricsServiceRequest with one gauge of one workload, as the Collector writes it. */
export function otlpRequest(points: { value: number; timeMs: number }[], metric = 'cpu_usage'): unknown {
  return {
    resourceMetrics: [
      {
        resource: {
          attributes: [
            { key: 'k8s.cluster.name', value: { stringValue: 'test' } },
            { key: 'k8s.namespace.name', value: { stringValue: 'shop' } },
            { key: 'k8s.deployment.name', value: { stringValue: 'web' } },
            { key: 'k8s.container.name', value: { stringValue: 'app' } },
          ],
        },
        scopeMetrics: [
          {
            metrics: [
              {
                name: metric,
                unit: '{cpu}',
                gauge: { dataPoints: points.map((p) => ({ timeUnixNano: String(BigInt(p.timeMs) * 1_000_000n), asDouble: p.value })) },
              },
            ],
          },
        ],
      },
    ],
  };
}
