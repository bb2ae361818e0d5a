/**
 * kafka-codec.ts - the Kafka value: a ViolationEvent (what sinks get) as a
 * protobuf sigsys.v1.Violation and back.  The wire format itself is
 * src/events/proto.ts (encodeViolation / decodeViolation); the names and
 * formats of ViolationEvent fields are those of src/events/enrich.ts.  This
 * file only maps between the two shapes, so `sigsys aggregate` decodes
 * exactly what the collector's enricher produced.
 */
import { Action, Mode, Outcome, decodeViolation as decodeProto, encodeViolation as encodeProto } from '../events/proto.js';
import { actionName, archName, hex64, modeName, outcomeName } from '../events/enrich.js';
import type { ViolationEvent } from '../events/types.js';

/** libseccomp arch name -> AUDIT_ARCH_* (the inverse of enrich.ts's archName). */
const AUDIT_ARCH: Record<string, number> = {
  x86_64: 0xc000003e,
  x32: 0xc000003e, // x32 is x86_64's audit arch with the x32 bit in nr
  x86: 0x40000003,
  aarch64: 0xc00000b7,
  arm: 0x40000028,
  riscv64: 0xc00000f3,
  s390x: 0x80000016,
  ppc64le: 0xc0000015,
};

function auditArch(name: string): number {
  const known = AUDIT_ARCH[name];
  if (known !== undefined) return known;
  // archName prints unknown values as 0x-hex.
  return /^0x[0-9a-f]+$/i.test(name) ? Number.parseInt(name.slice(2), 16) >>> 0 : 0;
}

function enumValue(table: Record<string, number>, name: string): number {
  return table[name.toUpperCase()] ?? 0;
}

function big(hex: string | undefined): bigint {
  if (!hex) return 0n;
  try {
    return BigInt.asUintN(64, BigInt(hex));
  } catch {
    return 0n;
  }
}

/** ViolationEvent -> protobuf bytes of sigsys.v1.Violation. */
export function encodeViolation(e: ViolationEvent): Uint8Array {
  return encodeProto({
    timeNs: e.timeNs || '0',
    seq: e.seq,
    pid: e.pid,
    tid: e.tid,
    nr: e.nr,
    arch: auditArch(e.arch),
    args: e.args.map(big),
    ip: big(e.ip),
    action: enumValue(Action, e.action),
    outcome: enumValue(Outcome, e.outcome),
    errnoRet: e.errno,
    ...(e.ret !== undefined ? { ret: e.ret } : {}),
    mode: enumValue(Mode, e.mode),
    syscall: e.syscall,
    host: e.host,
    bootId: e.bootId,
    exe: e.exe,
    containerId: e.containerId,
    workload: e.workload,
    pod: e.pod,
    namespace: e.namespace,
    policyHash: e.policyHash,
    ringPid: e.ringPid,
    callSite: e.callSite,
    comm: e.comm,
  });
}

/** protobuf bytes of sigsys.v1.Violation -> ViolationEvent (throws SigsysError on bad bytes). */
export function decodeViolation(bytes: Uint8Array): ViolationEvent {
  const v = decodeProto(bytes);
  const mode = modeName(v.mode);
  const ev: ViolationEvent = {
    time: new Date(Number(v.timeNs / 1_000_000n)).toISOString(),
    timeNs: v.timeNs.toString(),
    host: v.host,
    bootId: v.bootId,
    ringPid: v.ringPid,
    seq: Number(v.seq),
    pid: v.pid,
    tid: v.tid,
    comm: v.comm,
    exe: v.exe,
    syscall: v.syscall || `nr:${v.nr}`,
    nr: v.nr,
    arch: archName(v.arch, v.nr),
    args: Array.from({ length: 6 }, (_, i) => hex64(v.args[i])),
    ip: hex64(v.ip),
    callSite: v.callSite,
    action: actionName(v.action),
    outcome: outcomeName(v.outcome),
    errno: v.errnoRet,
    mode,
    containerId: v.containerId,
    pod: v.pod,
    namespace: v.namespace,
    workload: v.workload,
    policyHash: v.policyHash.toString('hex'),
  };
  if (mode === 'audit') ev.ret = v.ret.toString();
  return ev;
}
