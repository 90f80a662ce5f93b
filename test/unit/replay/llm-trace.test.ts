import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { demandSteps, readLlmTrace, serveSteps } from '../../../src/replay/llm-trace.js';
import { PROJECT_ROOT } from '../../../src/util/paths.js';

const CSV = `TIMESTAMP,ContextTokens,GeneratedTokens
2023-11-16 18:15:01.5000000,100,40
2023-11-16 18:15:09.0000000,300,80
2023-11-16 18:15:31.0000000,50,0
`;

describe('LLM trace as model-server demand', () => {
  it('sums requests and tokens into steps, empty steps included (hand-computed)', () => {
    const steps = demandSteps(CSV, 10);
    assert.deepEqual(
      steps.map((s) => [new Date(s.startMs).toISOString().slice(11, 19), s.requests, s.promptTokens, s.generatedTokens]),
      [
        ['18:15:00', 2, 400, 120],
        ['18:15:10', 0, 0, 0],
        ['18:15:20', 0, 0, 0],
        ['18:15:30', 1, 50, 0],
      ],
    );
    assert.throws(() => demandSteps(`${CSV}2023-11-16 18:15:40,x,1\n`, 10), /row 5: ContextTokens and GeneratedTokens must be token counts/);
  });

  it('a server too small for a burst queues it and drains it (fluid queue, hand-computed)', () => {
    // 120 tokens in step 1 against 1 replica × 5 tokens/s × 10 s = 50: 70 left, 40 tokens per request → 2 waiting
    const served = serveSteps(demandSteps(CSV, 10), 10, 1, 5);
    assert.deepEqual(
      served.map((s) => [s.demand, s.served, s.queue]),
      [
        [12, 5, 2],
        [0, 5, 1], // 20 tokens left: 0.5 request rounds to 1
        [0, 2, 0],
        [0, 0, 0],
      ],
    );
  });

  it('the shipped 15-minute sample reads as about 15 minutes of conversation demand', () => {
    const steps = readLlmTrace(path.join(PROJECT_ROOT, 'data', 'samples', 'azure_llm_conv_15min.csv'), 60);
    assert.equal(steps.length, 16, 'minutes 18:15 to 18:30, the first and the last partial');
    assert.equal(
      steps.reduce((a, s) => a + s.requests, 0),
      4420,
    );
    assert.ok(steps.every((s) => s.requests > 0 && s.generatedTokens > 0));
  });
});
