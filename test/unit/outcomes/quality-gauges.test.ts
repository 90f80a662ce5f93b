/** The forecast quality gauges as /metrics shows them: per workload and model version, the last step wins, a figure not computable yet keeps the last one. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PrometheusExporter, PrometheusSerializer } from '@opentelemetry/exporter-prometheus';
import { MeterProvider } from '@opentelemetry/sdk-metrics';
import { qualityGauges } from '../../../src/outcomes/quality-gauges.js';
import { parseExposition } from '../../helpers/exposition.js';

async function exposition(exporter: PrometheusExporter): Promise<Map<string, string>> {
  const { resourceMetrics } = await exporter.collect();
  const samples = parseExposition(new PrometheusSerializer().serialize(resourceMetrics));
  return new Map(
    samples
      .filter((x) => /^foresight_(forecast|underprovisioned)_/.test(x.name))
      .map((x) => [`${x.name} ${x.labels.namespace}/${x.labels.workload} ${x.labels.model_version}`, String(x.value)]),
  );
}

describe('quality gauges', () => {
  it('export the last figures per workload and model version; a null figure keeps the last value, a never-computed one is absent', async () => {
    const exporter = new PrometheusExporter({ preventServerStart: true });
    const provider = new MeterProvider({ readers: [exporter] });
    const record = qualityGauges(provider.getMeter('t'));
    const web = { namespace: 'shop', workload: 'Deployment/web', modelVersion: 'm1', quantile: 0.99, sloRisk: 0.01 };
    record({ ...web, figures: { pinballLoss: 0.5, coverage: 0.9, underProvisionedShare: null } });
    record({ ...web, figures: { pinballLoss: 0.25, coverage: null, underProvisionedShare: null } }); // coverage not computable this step
    record({ ...web, modelVersion: 'm2', quantile: 0.95, sloRisk: 0.05, figures: { pinballLoss: null, coverage: null, underProvisionedShare: 0.1 } });
    const m = await exposition(exporter);
    assert.equal(m.get('foresight_forecast_pinball_loss shop/Deployment/web m1'), '0.25');
    assert.equal(m.get('foresight_forecast_coverage shop/Deployment/web m1'), '0.9', 'kept');
    assert.equal(m.get('foresight_underprovisioned_share shop/Deployment/web m1'), undefined, 'never computed');
    assert.equal(m.get('foresight_forecast_coverage_target shop/Deployment/web m1'), '0.99');
    assert.equal(m.get('foresight_underprovisioned_target shop/Deployment/web m1'), '0.01');
    assert.equal(m.get('foresight_underprovisioned_share shop/Deployment/web m2'), '0.1');
    assert.equal(m.get('foresight_forecast_coverage_target shop/Deployment/web m2'), '0.95');
    assert.equal(m.get('foresight_forecast_pinball_loss shop/Deployment/web m2'), undefined);
    await provider.shutdown();
  });
});
