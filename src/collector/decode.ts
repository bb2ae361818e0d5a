/**
 * decode.ts - how the collector turns ring bytes into messages: a seam over
 * src/events/proto.ts (decodeViolation / decodeRingMeta) so that tests and
 * benches can count or replace decoding without touching the loop.
 */
import { decodeRingMeta, decodeViolation, prepareDecoders } from '../events/proto.js';
import type { DecodedRingMeta, DecodedViolation } from '../events/enrich.js';

export interface RingDecoder {
  violation(data: Uint8Array): DecodedViolation;
  ringMeta(data: Uint8Array): DecodedRingMeta;
  /**
   * Do the one-time set-up now (protobufjs parsing the schema: ~25 ms on a
   * small VM, and generating the decoders) rather than at the first ring: `sigsys run`/`learn` start the
   * collector while the command runs, and with the counter (learn --learn-via
   * bpf) the only ring appears when the command has ended.
   */
  prepare?(): void;
}

export function protoDecoder(): RingDecoder {
  return {
    violation: (data) => decodeViolation(data) as unknown as DecodedViolation,
    ringMeta: (data) => decodeRingMeta(data) as unknown as DecodedRingMeta,
    prepare: prepareDecoders,
  };
}
