/**
 * The forecaster: batched inference of the peak demand over the next horizon as quantiles
 * q50, q90, q99, from 24 hours of 5-minute history and 7 days of hourly means per series. One session per process
 * (two on a GPU: see GPU_MIN_BATCH); every call scores a whole batch of series at once.
 */
import path from 'node:path';
import './ort-telemetry.js'; // before onnxruntime-node: its telemetry off (ort-telemetry.ts)
import ort from 'onnxruntime-node';
import type { Logger } from '../telemetry/log.js';
import { PROJECT_ROOT } from '../util/paths.js';
import { forecastFeatures, HISTORY, N_FEATURES } from './features.js';
import { loadModel, type Provider } from './onnx-session.js';
import type { ExpertMix } from './recalibration.js';

export const DEFAULT_MODEL = path.join(PROJECT_ROOT, 'models', 'forecaster.onnx');

/**
 * Batches smaller than this run on the CPU even when CUDA is loaded: a GPU call pays a launch and
 * two copies, and this model is small (84 → 64 → 64 → 3). Measured on an H200 against one CPU
 * thread of the same machine (`bench score --providers cuda`, models/bench-score-cuda.json): CUDA
 * is slower up to batch 512 and cheaper from 1024 on.
 */
export const GPU_MIN_BATCH = 1024;

export interface ModelInfo {
  version: string;
  horizon_steps: string;
  step_seconds: string;
  calibration: number[];
  /** step of the online per-series recalibration (adaptive conformal inference); 0 turns it off */
  aci_gamma?: number;
  /** the online expert mix (scoring/recalibration.ts); absent or null: the model alone */
  expert_mix?: ExpertMix | null;
  training_data_sha256: string;
}

export interface Forecast {
  q50: number;
  q90: number;
  q99: number;
}

export interface ForecastInput {
  /** the last 288 five-minute values, oldest first */
  history: ArrayLike<number>;
  /** unix seconds of the newest value */
  timeS: number;
  /** the coarse context (features.ts): 168 hourly means before the current hour, NaN where unknown; absent = none known */
  coarse?: ArrayLike<number>;
}

export class Forecaster {
  private constructor(
    private readonly session: ort.InferenceSession,
    readonly info: ModelInfo,
    readonly provider: Provider,
    /** why the first provider asked for is not the one running (onnx-session.ts) */
    readonly fallbackReason?: string,
    /** with CUDA: a CPU session for the batches under GPU_MIN_BATCH */
    private readonly cpu?: ort.InferenceSession,
  ) {}

  static async load(modelPath = DEFAULT_MODEL, providers: Provider[] = ['cpu'], log?: Pick<Logger, 'warn' | 'info'>): Promise<Forecaster> {
    const { session, provider, info, fallbackReason } = await loadModel<ModelInfo>(modelPath, providers, log);
    const cpu = provider === 'cpu' ? undefined : (await loadModel<ModelInfo>(modelPath, ['cpu'], log)).session;
    return new Forecaster(session, info, provider, fallbackReason, cpu);
  }

  get horizonSteps(): number {
    return Number(this.info.horizon_steps);
  }

  get stepSeconds(): number {
    return Number(this.info.step_seconds);
  }

  /** What serving does after the model, per series (scoring/recalibration.ts): the recalibration's step and the expert mix. */
  get online(): { gamma: number; mix: ExpertMix | null } {
    return { gamma: this.info.aci_gamma ?? 0, mix: this.info.expert_mix ?? null };
  }

  get historySteps(): number {
    return HISTORY;
  }

  /** The provider a batch of this size runs on: the loaded one, except small batches on the CPU beside a GPU. */
  providerFor(batch: number): Provider {
    return this.cpu && batch < GPU_MIN_BATCH ? 'cpu' : this.provider;
  }

  /** Raw model outputs (normalised, before calibration) for a batch of feature rows; `on` forces a provider (the bench). */
  async runFeatures(features: Float32Array, batch: number, on: Provider = this.providerFor(batch)): Promise<Float32Array> {
    const input = new ort.Tensor('float32', features, [batch, N_FEATURES]);
    const out = await (on === 'cpu' && this.cpu ? this.cpu : this.session).run({ features: input });
    return out.quantiles.data as Float32Array;
  }

  /** Forecasts for many series in one inference call. */
  async forecast(inputs: ForecastInput[]): Promise<Forecast[]> {
    if (inputs.length === 0) return [];
    const features = new Float32Array(inputs.length * N_FEATURES);
    const scales = new Float64Array(inputs.length);
    const row = new Float64Array(N_FEATURES);
    inputs.forEach((inp, i) => {
      const { scale } = forecastFeatures(inp.history, inp.timeS, this.horizonSteps, row, inp.coarse);
      features.set(row, i * N_FEATURES);
      scales[i] = scale;
    });
    const q = await this.runFeatures(features, inputs.length);
    const [c50, c90, c99] = this.info.calibration;
    return inputs.map((_, i) => {
      const q50 = q[i * 3] * c50 * scales[i];
      const q90 = Math.max(q50, q[i * 3 + 1] * c90 * scales[i]);
      return { q50, q90, q99: Math.max(q90, q[i * 3 + 2] * c99 * scales[i]) };
    });
  }
}
