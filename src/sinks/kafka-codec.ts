/**
 * kafka-codec.ts - TEMPORARY bridge between ViolationEvent and the protobuf
 * sigsys.v1.Violation carried in Kafka values, used by the Kafka sink and by
 * `sigsys aggregate` until src/events/proto.ts (encodeViolation /
 * decodeViolation, owned by the events part) lands; then this file becomes a
 * re-export of those and is removed.  Loads proto/sigsys/v1/violation.proto
 * with protobufjs at first use.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { ActionName, OutcomeName, ViolationEvent } from '../events/types.js';

let violationType: protobuf.Type | undefined;

function protoPath(): string {
  // src/sinks or dist/sinks -> repo root
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    const p = join(dir, 'proto', 'sigsys', 'v1', 'violation.proto');
    if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new Error('proto/sigsys/v1/violation.proto not found');
}

function type(): protobuf.Type {
  violationType ??= protobuf.loadSync(protoPath()).lookupType('sigsys.v1.Violation');
  return violationType;
}

const ARCH_TO_AUDIT: Record<string, number> = { x86_64: 0xc000003e, x86: 0x40000003, aarch64: 0xc00000b7 };
const AUDIT_TO_ARCH = new Map(Object.entries(ARCH_TO_AUDIT).map(([k, v]) => [v, k]));

function hexToDec(h: string | undefined): string {
  if (!h) return '0';
  try {
    return BigInt(h).toString();
  } catch {
    return '0';
  }
}
const decToHex = (v: unknown): string => `0x${BigInt(String(v ?? 0)).toString(16)}`;

/** ViolationEvent -> protobuf bytes of sigsys.v1.Violation. */
export function encodeViolation(e: ViolationEvent): Uint8Array {
  const t = type();
  const msg = t.fromObject({
    timeNs: e.timeNs || '0',
    seq: String(e.seq),
    pid: e.pid,
    tid: e.tid,
    nr: e.nr,
    arch: ARCH_TO_AUDIT[e.arch] ?? 0,
    args: e.args.map(hexToDec),
    ip: hexToDec(e.ip),
    action: e.action === 'unknown' ? 0 : `ACTION_${e.action.toUpperCase()}`,
    outcome: e.outcome === 'unknown' ? 0 : `OUTCOME_${e.outcome.toUpperCase()}`,
    errnoRet: e.errno,
    ret: e.ret !== undefined ? String(BigInt(e.ret)) : '0',
    mode: e.mode === 'unknown' ? 0 : `MODE_${e.mode.toUpperCase()}`,
    syscall: e.syscall,
    host: e.host,
    bootId: e.bootId,
    exe: e.exe,
    containerId: e.containerId,
    workload: e.workload,
    pod: e.pod,
    namespace: e.namespace,
    policyHash: e.policyHash ? Buffer.from(e.policyHash, 'hex') : Buffer.alloc(0),
    ringPid: e.ringPid,
    callSite: e.callSite,
    comm: e.comm,
  });
  return t.encode(msg).finish();
}

/** protobuf bytes of sigsys.v1.Violation -> ViolationEvent. */
export function decodeViolation(bytes: Uint8Array): ViolationEvent {
  const t = type();
  const o = t.toObject(t.decode(bytes), { longs: String, enums: String, bytes: String, defaults: true }) as Record<
    string,
    unknown
  >;
  const timeNs = String(o.timeNs ?? '0');
  const ms = Number(BigInt(timeNs) / 1_000_000n);
  const action = String(o.action).replace(/^ACTION_/, '').toLowerCase();
  const outcome = String(o.outcome).replace(/^OUTCOME_/, '').toLowerCase();
  const mode = String(o.mode).replace(/^MODE_/, '').toLowerCase();
  const hash = Buffer.from(String(o.policyHash ?? ''), 'base64').toString('hex');
  return {
    time: new Date(ms).toISOString(),
    timeNs,
    host: String(o.host),
    bootId: String(o.bootId),
    ringPid: Number(o.ringPid),
    seq: Number(o.seq),
    pid: Number(o.pid),
    tid: Number(o.tid),
    comm: String(o.comm),
    exe: String(o.exe),
    syscall: String(o.syscall) || `nr:${String(o.nr)}`,
    nr: Number(o.nr),
    arch: AUDIT_TO_ARCH.get(Number(o.arch)) ?? String(o.arch),
    args: ((o.args as unknown[]) ?? []).map(decToHex),
    ip: decToHex(o.ip),
    callSite: String(o.callSite),
    action: (action === 'unspecified' ? 'unknown' : action) as ActionName,
    outcome: (outcome === 'unspecified' ? 'unknown' : outcome) as OutcomeName,
    errno: Number(o.errnoRet),
    ret: String(o.ret ?? '0'),
    mode: (mode === 'unspecified' ? 'unknown' : mode) as ViolationEvent['mode'],
    containerId: String(o.containerId),
    pod: String(o.pod),
    namespace: String(o.namespace),
    workload: String(o.workload),
    policyHash: hash,
  };
}
