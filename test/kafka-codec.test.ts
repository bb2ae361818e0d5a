/**
 * The Kafka value: ViolationEvent -> sigsys.v1.Violation bytes -> the same
 * ViolationEvent, for the shapes the collector's enricher produces.
 */
import { describe, expect, it } from 'vitest';
import { decodeViolation as decodeProto } from '../src/events/proto.js';
import { decodeViolation, encodeViolation } from '../src/sinks/kafka-codec.js';
import type { ViolationEvent } from '../src/events/types.js';
import { makeEvent } from './services/kafka/harness.js';

const base = makeEvent({ seq: 7, timeNs: 1_763_900_000_123_456_789n });

describe('kafka value codec', () => {
  it.each<[string, Partial<ViolationEvent>]>([
    ['an enforce-mode errno denial', {}],
    ['an audit-mode call with a negative real return value', { mode: 'audit', action: 'errno', outcome: 'allowed', ret: '-38' }],
    ['a kill with 64-bit arguments above 2^53', { action: 'kill_process', outcome: 'killed', errno: 0, args: ['0xffffffffffffffff', '0x20000000000001', '0x0', '0x0', '0x0', '0x1'] }],
    ['an unknown syscall number on aarch64', { syscall: 'nr:999', nr: 999, arch: 'aarch64' }],
    ['a container workload with pod and namespace', { containerId: 'c0ffee', workload: 'c0ffee', pod: 'api-7d9', namespace: 'prod' }],
    ['a sequence number beyond 2^32', { seq: 2 ** 40 + 3 }],
  ])('%s survives the round trip', (_name, patch) => {
    const e: ViolationEvent = { ...base, ...patch };
    expect(decodeViolation(encodeViolation(e))).toEqual(e);
  });

  it('the bytes are a plain sigsys.v1.Violation (any protobuf consumer can read them)', () => {
    const v = decodeProto(encodeViolation(base));
    expect(v).toMatchObject({ seq: 7n, nr: 165, arch: 0xc000003e, action: 4, outcome: 1, errnoRet: 1, host: 'host-a', ringPid: 100, workload: 'worker' });
    expect(v.timeNs).toBe(1_763_900_000_123_456_789n);
    expect(v.policyHash.toString('hex')).toBe('ab'.repeat(32));
  });

  it('garbage is refused with a one-line error', () => {
    expect(() => decodeViolation(Buffer.from([0xff, 0xff, 0xff]))).toThrow(/invalid sigsys\.v1\.Violation/);
  });
});
