/**
 * The Kafka value: ViolationEvent -> sigsys.v1.Violation bytes -> the same
 * ViolationEvent, for the shapes the collector's enricher produces.
 */
import { describe, expect, it } from 'vitest';
import { decodeViolation as decodeProto, encodeViolation as encodeProto, Action, Outcome, Mode, Identity } from '../src/events/proto.js';
import { decodeViolation, encodeBatch, encodeViolation, splitBatch } from '../src/kafka/codec.js';
import type { ViolationEvent } from '../src/events/types.js';
import { makeEvent } from './services/kafka/harness.js';

const base = makeEvent({ seq: 7, timeNs: 1_763_900_000_123_456_789n });

const cases: [string, Partial<ViolationEvent>][] = [
    ['an enforce-mode errno denial', {}],
    ['an audit-mode call with a negative real return value', { mode: 'audit', action: 'errno', outcome: 'allowed', ret: '-38' }],
    ['a kill with 64-bit arguments above 2^53', { action: 'kill_process', outcome: 'killed', errno: 0, args: ['0xffffffffffffffff', '0x20000000000001', '0x0', '0x0', '0x0', '0x1'] }],
    ['an unknown syscall number on aarch64', { syscall: 'nr:999', nr: 999, arch: 'aarch64' }],
    ['a container workload with pod and namespace', { containerId: 'c0ffee', workload: 'c0ffee', pod: 'api-7d9', namespace: 'prod' }],
    ['a sequence number beyond 2^32', { seq: 2 ** 40 + 3 }],
    ['a negative syscall number and errno, non-ASCII names', { nr: -1, errno: -5, syscall: 'nr:-1', comm: 'wörker', exe: '/opt/ünï/bin' }],
    ['a supervisor event (sigsys-exec: source 35)', { source: 'supervisor' }],
    ['empty strings and zero fields', { containerId: '', pod: '', callSite: '', policyHash: '', errno: 0, seq: 0 }],
    ['an unverified ring of uid 1001', { identity: 'unverified', writerUid: 1001, workload: 'unverified:uid-1001' }],
    ['a forged ring of uid 65534', { identity: 'forged', writerUid: 65534, workload: 'forged:uid-65534', pod: '', namespace: '' }],
    ['a supervisor ring of uid 0', { source: 'supervisor', writerUid: 0 }],
    ['an event from a collector that predates identity', { identity: 'unknown' }],
    ['a hot-loop count record standing for 9999999 calls (repeat, field 36)', { repeat: 9_999_999 }],
    ['a count record with a repeat beyond 2^32', { repeat: 2 ** 40 + 1 }],
];

describe('kafka value codec', () => {
  it.each(cases)('%s survives the round trip', (_name, patch) => {
    const e: ViolationEvent = { ...base, ...patch };
    expect(decodeViolation(encodeViolation(e))).toEqual(e);
  });

  it.each(cases)('%s: the fast encoder writes the same bytes as proto.ts (protobufjs)', (_name, patch) => {
    const e: ViolationEvent = { ...base, ...patch };
    const ref = encodeProto({
      timeNs: e.timeNs, seq: e.seq, pid: e.pid, tid: e.tid, nr: e.nr, arch: e.arch === 'aarch64' ? 0xc00000b7 : 0xc000003e,
      args: e.args.map((a) => BigInt(a)), ip: BigInt(e.ip),
      action: Action[e.action.toUpperCase() as keyof typeof Action] ?? 0,
      outcome: Outcome[e.outcome.toUpperCase() as keyof typeof Outcome] ?? 0,
      errnoRet: e.errno, ret: e.ret ?? 0, mode: Mode[e.mode.toUpperCase() as keyof typeof Mode] ?? 0,
      syscall: e.syscall, host: e.host, bootId: e.bootId, exe: e.exe, containerId: e.containerId, workload: e.workload,
      pod: e.pod, namespace: e.namespace, policyHash: e.policyHash, ringPid: e.ringPid, callSite: e.callSite, comm: e.comm,
      ringStartNs: e.ringStartNs, writerUid: e.writerUid,
      identity: Identity[e.identity.toUpperCase() as keyof typeof Identity] ?? 0,
      source: e.source === 'supervisor' ? 2 : 0, repeat: e.repeat ?? 0,
    });
    expect(Buffer.from(encodeViolation(e)).toString('hex')).toBe(Buffer.from(ref).toString('hex'));
  });

  it('a sigsys.v1.Batch value carries several events in order, including ones over 127 and 16383 bytes', () => {
    const events = [base, { ...base, seq: 8, exe: 'x'.repeat(200) }, { ...base, seq: 9, comm: 'y'.repeat(20_000) }, { ...base, seq: 10 }];
    const parts = splitBatch(encodeBatch(events));
    expect(parts.map((p) => decodeViolation(p))).toEqual(events);
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
