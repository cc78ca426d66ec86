// A new W3C trace context for every request k6 sends, so each one starts its own trace in Mesh
// and can be found in Tempo by the id k6 logged
// (https://www.w3.org/TR/trace-context/#traceparent-header).
//
// Grafana's jslib http-instrumentation-tempo does much the same, but k6 fetches it from the
// network at every run; the header itself takes these few lines.

import { TRACE_SAMPLED } from './config.js';

const HEX = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/** `bytes` random bytes as lower-case hex, never all zeros (an all-zero id is invalid). */
function randomHex(bytes) {
  const buffer = new Uint8Array(bytes);
  let hex;
  do {
    crypto.getRandomValues(buffer); // k6's global WebCrypto object
    hex = Array.from(buffer, (byte) => HEX[byte]).join('');
  } while (/^0+$/.test(hex));
  return hex;
}

const FLAGS = TRACE_SAMPLED ? '01' : '00';

/**
 * A new context: a random 16-byte trace id, a random 8-byte parent (span) id, and the flags: 01
 * (sampled) unless TRACE_SAMPLED=false. No span with that parent id is ever exported, so in
 * Tempo the gateway's span is the trace's root, with a parent it cannot find.
 */
export function newTraceContext() {
  const traceId = randomHex(16);
  return { traceId, traceparent: `00-${traceId}-${randomHex(8)}-${FLAGS}` };
}
