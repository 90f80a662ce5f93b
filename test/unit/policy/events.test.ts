/** Known future events (policies/events.yaml): validation with file:line, the raise window, the decision engine's raise. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventsFileError } from '../../helpers/trace.js';
import { planCapacity } from '../../../src/policy/capacity-plan.js';
import { decideStep, initialState } from '../../../src/policy/decide-replicas.js';
import { eventMultiplier, isEventsFile, parseEventsFile } from '../../../src/policy/events.js';
import { PolicyFiles } from '../../../src/policy/policy-files.js';
import { DEFAULT_POLICY, type ResolvedPolicy } from '../../../src/policy/policy-schema.js';
import { MODEL, planRows, STEP } from './plan-rows.js';

const FILE = `apiVersion: foresight.dev/v1
kind: Events
events:
  - name: black-friday
    start: "2026-11-27T00:00:00Z"
    end: "2026-11-28T00:00:00Z"
    scope: { namespace: shop }
    multiplier: 3
    warmupMinutes: 30
  - name: launch
    start: "2026-11-27T12:00:00+01:00"
    end: "2026-11-27T13:00:00+01:00"
    scope: { namespace: shop, workload: web }
    multiplier: 4
`;
const T0 = Date.parse('2026-11-27T00:00:00Z');
const HOUR = 3_600_000;
const MIN = 60_000;

describe('known future events', () => {
  it('parses the file (times with zones, defaults)', () => {
    const ev = parseEventsFile('policies/events.yaml', FILE);
    assert.equal(ev.length, 2);
    assert.deepEqual(ev[0], { name: 'black-friday', startMs: T0, endMs: T0 + 24 * HOUR, scope: { namespace: 'shop' }, multiplier: 3, warmupMs: 30 * MIN });
    assert.equal(ev[1].startMs, T0 + 11 * HOUR);
    assert.equal(ev[1].warmupMs, 0);
  });

  it('rejects a bad file with file:line: field', () => {
    const bad = eventsFileError;
    assert.match(bad(FILE.replace('multiplier: 3', 'multiplier: 0.5')), /^policies\/events\.yaml:8: events\.0\.multiplier: /);
    assert.match(
      bad(FILE.replace('end: "2026-11-28T00:00:00Z"', 'end: "2026-11-26T00:00:00Z"')),
      /^policies\/events\.yaml:6: events\.0\.end: end must be after start/,
    );
    assert.match(bad(FILE.replace('start: "2026-11-27T00:00:00Z"', 'start: "next friday"')), /^policies\/events\.yaml:5: events\.0\.start: an ISO 8601 time/);
    // a day past the month's end is an error, not the next month's first day (Date.parse reads 2026-11-31 as December 1st)
    for (const day of ['2026-11-31', '2026-02-29', '2026-04-31'])
      assert.match(bad(FILE.replace('end: "2026-11-28T00:00:00Z"', `end: "${day}T00:00:00Z"`)), /^policies\/events\.yaml:6: events\.0\.end: no such day/, day);
    // the last days of months, a leap day
    for (const day of ['2026-11-30', '2026-12-31', '2028-02-29'])
      assert.equal(parseEventsFile('f', FILE.replace('end: "2026-11-28T00:00:00Z"', `end: "${day}T00:00:00Z"`))[0].endMs, Date.parse(`${day}T00:00:00Z`));
    assert.match(bad(FILE.replace('scope: { namespace: shop }', 'scope: { nmespace: shop }')), /^policies\/events\.yaml:7: events\.0\.scope: .*nmespace/);
    assert.match(bad('kind: Events\nevents: [\n'), /^policies\/events\.yaml:\d+: not valid YAML/);
  });

  it('raises from start − (horizon + warm-up) to the end, in scope only; the largest multiplier wins', () => {
    const ev = parseEventsFile('policies/events.yaml', FILE);
    const web = { namespace: 'shop', workload: 'web' };
    const at = (ms: number, who = web): number => eventMultiplier(ev, who, ms, HOUR).multiplier;
    assert.equal(at(T0 - 90 * MIN), 1); // the horizon + warm-up (90 min) ends exactly at the start
    assert.equal(at(T0 - 90 * MIN + 1), 3);
    assert.equal(at(T0 + 10 * HOUR + 30 * MIN), 4); // the launch's hour is within the horizon: 4 > 3
    assert.deepEqual(eventMultiplier(ev, web, T0 + 11 * HOUR, HOUR).events, ['black-friday', 'launch']);
    assert.equal(at(T0 + 24 * HOUR - 1), 3);
    assert.equal(at(T0 + 24 * HOUR), 1); // returns after the end
    assert.equal(at(T0, { namespace: 'other', workload: 'web' }), 1);
    assert.equal(at(T0 + 11 * HOUR, { namespace: 'shop', workload: 'api' }), 3);
    const team = parseEventsFile('f', FILE.replace('scope: { namespace: shop }', 'scope: { team: payments }'));
    assert.equal(eventMultiplier(team, { ...web, team: 'payments' }, T0, HOUR).multiplier, 3);
    assert.equal(eventMultiplier(team, web, T0, HOUR).multiplier, 1);
    const labelled = parseEventsFile('f', FILE.replace('scope: { namespace: shop }', 'scope: { labels: { tier: frontend, app: web } }'));
    assert.equal(eventMultiplier(labelled, { ...web, labels: { tier: 'frontend', app: 'web', x: 'y' } }, T0, HOUR).multiplier, 3);
    assert.equal(eventMultiplier(labelled, { ...web, labels: { tier: 'frontend' } }, T0, HOUR).multiplier, 1, 'every label must match');
  });

  it('the events file is not a policy file', () => {
    assert.ok(isEventsFile('policies/events.yaml') && !isEventsFile('policies/shop.yaml'));
    const load = new PolicyFiles().load([['policies/events.yaml', FILE]]);
    assert.deepEqual(load.errors, []);
  });

  it('the decision engine multiplies the forecast and the peak cap by the event', () => {
    const p: ResolvedPolicy = {
      ...structuredClone(DEFAULT_POLICY),
      sloAdaptation: 0,
      change: { ...DEFAULT_POLICY.change, maxStepPercent: 1000 },
      replicas: { min: 1, max: 100, perReplicaCapacity: 1, targetUtilization: 0.5, metric: 'cpu_usage', nodePool: 'default', peakMargin: 0.2 },
    };
    const input = { stepEndMs: STEP, history: Array(288).fill(4), forecast: { q50: 3, q90: 4, q99: 4.5 }, current: { minReplicas: 10, maxReplicas: 12 } };
    const plain = decideStep(initialState(), input, p, MODEL).decision;
    const active = [{ multiplier: 3, startMs: STEP + 30 * 60_000, endMs: STEP + 24 * 3_600_000 }];
    const ev = decideStep(initialState(), { ...input, event: { multiplier: 3, events: ['black-friday'], active } }, p, MODEL).decision;
    // without: the q99 4.5 → 9 replicas of 0.5 usable; with: the event's expected demand 3 × the same hour a day
    // earlier (4) = 12, the forecast raised to it (q99 4.5 × 12 / 3 = 18) under the cap max(4, 12) × 1.2 = 14.4 → 28.8
    assert.equal(plain.proposed.level, 10); // a cut waits for its stabilisation window
    assert.equal(ev.proposed.level, 29);
    assert.ok(ev.publish && ev.rules.includes('event:black-friday:x3'), ev.rules.join(' '));
  });

  it('backtest --events: the plan raises capacity from the horizon before the start and returns after the end', () => {
    const p: ResolvedPolicy = {
      ...structuredClone(DEFAULT_POLICY),
      sloAdaptation: 0,
      change: { ...DEFAULT_POLICY.change, maxStepPercent: 1000, cooldownMinutes: 0 },
    };
    const ev = parseEventsFile(
      'e',
      FILE.replace('scope: { namespace: shop }', 'scope: {}')
        .replace('warmupMinutes: 30', 'warmupMinutes: 0')
        .replace('2026-11-28T00:00:00Z', '2026-11-27T01:00:00Z'),
    ).slice(0, 1);
    // 40 steps of flat demand 10 from T0 − 1 h; the event runs T0 … T0 + 1 h
    const rows = planRows(Array(40).fill(10), Array(40).fill({ q50: 10, q90: 10, q99: 10 })).map((r, t) => ({ ...r, stepEndMs: T0 - HOUR + t * STEP }));
    const plan = planCapacity(
      rows.map((r) => ({ ...r, event: eventMultiplier(ev, { namespace: 'x', workload: 'y' }, r.stepEndMs, HOUR) })),
      p,
      MODEL,
    );
    const plain = planCapacity(rows, p, MODEL);
    assert.ok(plan[0]!.capacity === plain[0]!.capacity, 'an hour before the start: the horizon does not reach it');
    assert.ok(plan[1]!.capacity >= 2.9 * plain[1]!.capacity, `the horizon reaches the start: ${plan[1]!.capacity} vs ${plain[1]!.capacity}`);
    assert.ok(plan[1]!.rules.includes('event:black-friday:x3'));
    assert.equal(plan[30]!.capacity, plain[30]!.capacity, 'back after the end');
  });
});
