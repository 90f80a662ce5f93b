/**
 * W3C trace context in Kafka headers. kafkajs hands header values as Buffers (or arrays of
 * them when a name repeats), so the getter decodes them; after
 * opentelemetry-js-contrib's instrumentation-kafkajs (bufferTextMapGetter).
 */
import { context, propagation, trace, type Context, type Link, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import type { IHeaders } from 'kafkajs';

export const bufferTextMapGetter: TextMapGetter<IHeaders | undefined> = {
  get(carrier, key) {
    if (!carrier) return undefined;
    const value = carrier[key] ?? carrier[Object.keys(carrier).find((k) => k.toLowerCase() === key) ?? ''];
    const first = Array.isArray(value) ? value[0] : value;
    return first === undefined ? undefined : Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  },
  keys(carrier) {
    return carrier ? Object.keys(carrier) : [];
  },
};

/** Each context's headers (contexts are immutable): a scored batch's records share its span's, injected once. */
const injected = new WeakMap<Context, Readonly<Record<string, string>>>();

/** Headers carrying the trace context of `ctx` (the active one by default); one frozen object per context. */
export function traceHeaders(ctx: Context = context.active()): Readonly<Record<string, string>> {
  let headers = injected.get(ctx);
  if (!headers) {
    const h: Record<string, string> = {};
    propagation.inject(ctx, h);
    injected.set(ctx, (headers = Object.freeze(h)));
  }
  return headers;
}

export function extractContext(headers: IHeaders | undefined): Context {
  return propagation.extract(context.active(), headers, bufferTextMapGetter);
}

export function extractSpanContext(headers: IHeaders | undefined): SpanContext | undefined {
  const sc = trace.getSpanContext(extractContext(headers));
  return sc && trace.isSpanContextValid(sc) ? sc : undefined;
}

/** Links to the producers' spans of a batch (one span per batch, linked; capped). */
export function batchLinks(headersList: (IHeaders | undefined)[], max = 128): Link[] {
  const links: Link[] = [];
  for (const h of headersList) {
    if (links.length >= max) break;
    const sc = extractSpanContext(h);
    if (sc) links.push({ context: sc });
  }
  return links;
}

/** The traceparent header value of a message, if any. */
export function traceparentOf(headers: IHeaders | undefined): string | undefined {
  return bufferTextMapGetter.get(headers, 'traceparent') as string | undefined;
}
