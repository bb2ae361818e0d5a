/**
 * decode.ts - how the collector turns ring bytes into messages: a seam over
 * src/events/proto.ts (decodeViolation / decodeRingMeta) so that tests and
 * benches can count or replace decoding without touching the loop.
 */
import { decodeRingMeta, decodeViolation } from '../events/proto.js';
import type { DecodedRingMeta, DecodedViolation } from '../events/enrich.js';

export interface RingDecoder {
  violation(data: Uint8Array): DecodedViolation;
  ringMeta(data: Uint8Array): DecodedRingMeta;
}

export function protoDecoder(): RingDecoder {
  return {
    violation: (data) => decodeViolation(data) as unknown as DecodedViolation,
    ringMeta: (data) => decodeRingMeta(data) as unknown as DecodedRingMeta,
  };
}
