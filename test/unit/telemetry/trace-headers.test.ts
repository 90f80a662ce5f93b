import { test } from 'node:test';
import assert from 'node:assert/strict';
import { propagation, ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { traceHeaders } from '../../../src/telemetry/propagation.js';

test('trace headers: the context traceparent, injected once per context and shared frozen', () => {
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const ctxOf = (spanId: string) => trace.setSpanContext(ROOT_CONTEXT, { traceId: '0af7651916cd43dd8448eb211c80319c', spanId, traceFlags: TraceFlags.SAMPLED });
  const a = ctxOf('b7ad6b7169203331');
  const b = ctxOf('00f067aa0ba902b7');
  assert.equal(traceHeaders(a).traceparent, '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01');
  assert.equal(traceHeaders(b).traceparent, '00-0af7651916cd43dd8448eb211c80319c-00f067aa0ba902b7-01');
  assert.equal(traceHeaders(a), traceHeaders(a)); // one object per context
  assert.ok(Object.isFrozen(traceHeaders(a)));
  assert.deepEqual({ ...traceHeaders(ROOT_CONTEXT) }, {}); // no span: no header
});
