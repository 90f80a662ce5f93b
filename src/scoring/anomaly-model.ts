/**
 * The anomaly model: scores the newest point of many series at once, each from its last 48
 * values; the first 47 points of a series have no score (0). Causal: the score of point t
 * uses only points t−47 … t.
 */
import path from 'node:path';
import ort from 'onnxruntime-node';
import type { Logger } from '../telemetry/log.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { anomalyWindow, CONTEXT, WINDOW } from './anomaly-features.js';
import { loadModel, type Provider } from './onnx-session.js';

export const DEFAULT_ANOMALY_MODEL = path.join(PROJECT_ROOT, 'models', 'anomaly.onnx');

export interface AnomalyModelInfo {
  version: string;
  threshold: number;
  training_data_sha256: string;
}

export class AnomalyModel {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: AnomalyModelInfo,
    readonly provider: Provider,
  ) {}

  static async load(modelPath = DEFAULT_ANOMALY_MODEL, providers: Provider[] = ['cpu'], log?: Pick<Logger, 'warn' | 'info'>): Promise<AnomalyModel> {
    const { session, provider, info } = await loadModel<AnomalyModelInfo>(modelPath, providers, log);
    return new AnomalyModel(session, info, provider);
  }

  /** Scores of already-normalised windows, [batch × 48]. */
  async runWindows(windows: Float32Array, batch: number): Promise<Float32Array> {
    const out = await this.session.run({ window: new ort.Tensor('float32', windows, [batch, WINDOW]) });
    return out.score.data as Float32Array;
  }

  /** Scores every point of one series, causally, in batches. */
  async scoreSeries(values: ArrayLike<number>, onProgress?: (done: number, total: number) => void): Promise<Float64Array> {
    const scores = new Float64Array(values.length);
    const BATCH = 1024;
    const win = new Float64Array(WINDOW);
    const raw = new Float64Array(WINDOW);
    for (let t0 = CONTEXT; t0 < values.length; t0 += BATCH) {
      const n = Math.min(BATCH, values.length - t0);
      const input = new Float32Array(n * WINDOW);
      for (let k = 0; k < n; k++) {
        const t = t0 + k;
        for (let i = 0; i < WINDOW; i++) raw[i] = values[t - CONTEXT + i];
        input.set(anomalyWindow(raw, win), k * WINDOW);
      }
      const out = await this.runWindows(input, n);
      for (let k = 0; k < n; k++) scores[t0 + k] = out[k];
      onProgress?.(t0 + n, values.length);
    }
    return scores;
  }
}
