/**
 * schema.ts - the one TypeScript home of the sigsys.v1 event schema
 * (proto/sigsys/v1/violation.proto): field numbers, enum values and their
 * names, the AUDIT_ARCH table, and the one function that builds a
 * ViolationEvent from decoded fields.
 *
 * Everything that reads or writes an event uses these: the protobufjs
 * decoder (proto.ts), the collector's fast decoder
 * (collector/fast-decode.ts), the Kafka codec (kafka/codec.ts) and
 * enrichment (enrich.ts).  The C side keeps the same numbers in
 * native/src/schema.h and native/src/policy.h; test/schema.test.ts checks
 * that C, this module and the .proto agree.
 */
import type { ActionName, IdentityName, OutcomeName, SourceName, ViolationEvent } from './types.js';

// ---- wire format ----

/** Protobuf wire types the encoders use. */
export const WireType = { VARINT: 0, LEN: 2 } as const;

/** The varint key of (field, wire type). */
export const tagOf = (field: number, wireType: number): number => (field << 3) | wireType;

/** sigsys.v1.Violation field numbers (1-13 and 36: [handler]; 20-35: [collector]). */
export const ViolationField = {
  timeNs: 1,
  seq: 2,
  pid: 3,
  tid: 4,
  nr: 5,
  arch: 6,
  args: 7,
  ip: 8,
  action: 9,
  outcome: 10,
  errnoRet: 11,
  ret: 12,
  mode: 13,
  syscall: 20,
  host: 21,
  bootId: 22,
  exe: 23,
  containerId: 24,
  workload: 25,
  pod: 26,
  namespace: 27,
  policyHash: 28,
  ringPid: 29,
  callSite: 30,
  comm: 31,
  ringStartNs: 32,
  writerUid: 33,
  identity: 34,
  source: 35,
  repeat: 36,
} as const;

/** sigsys.v1.RingMeta field numbers. */
export const RingMetaField = {
  host: 1,
  pid: 2,
  ppid: 3,
  pidNs: 4,
  cgroup: 5,
  exe: 6,
  argv: 7,
  bootId: 8,
  policyHash: 9,
  pod: 10,
  namespace: 11,
  mode: 12,
  startNs: 13,
  comm: 14,
  maps: 15,
  source: 16,
  writerPid: 17,
} as const;

/** sigsys.v1.Mapping field numbers. */
export const MappingField = { start: 1, end: 2, offset: 3, path: 4 } as const;

/** sigsys.v1.Batch field numbers. */
export const BatchField = { violations: 1 } as const;

// ---- enums (same numbers as native/src/policy.h and the .proto) ----

/** sigsys.v1.Action values. */
export const Action = {
  UNSPECIFIED: 0,
  KILL_PROCESS: 1,
  KILL_THREAD: 2,
  TRAP: 3,
  ERRNO: 4,
  TRACE: 5,
  LOG: 6,
  USER_NOTIF: 7,
  ALLOW: 8,
} as const;

/** sigsys.v1.Outcome values. */
export const Outcome = { UNSPECIFIED: 0, DENIED: 1, ALLOWED: 2, KILLED: 3 } as const;

/** sigsys.v1.Mode values. */
export const Mode = { UNSPECIFIED: 0, ENFORCE: 1, AUDIT: 2 } as const;

/** sigsys.v1.Identity values. */
export const Identity = { UNSPECIFIED: 0, VERIFIED: 1, UNVERIFIED: 2, FORGED: 3 } as const;

/** sigsys.v1.Source values (0: rings from before the field, the handler). */
export const Source = { UNSPECIFIED: 0, HANDLER: 1, SUPERVISOR: 2 } as const;

export type ModeName = (typeof MODES)[number];

/** Action kinds as profiles and the policy file name them (native/src/policy.h enum sigsys_action_kind). */
export type ActionKind = Exclude<keyof typeof Action, 'UNSPECIFIED'>;

/** Event names by enum value ('unknown' for UNSPECIFIED); types.ts derives ActionName etc. from these. */
export const ACTIONS = ['unknown', 'kill_process', 'kill_thread', 'trap', 'errno', 'trace', 'log', 'user_notif', 'allow'] as const;
export const OUTCOMES = ['unknown', 'denied', 'allowed', 'killed'] as const;
export const MODES = ['unknown', 'enforce', 'audit'] as const;
export const IDENTITIES = ['unknown', 'verified', 'unverified', 'forged'] as const;

/** Actions that keep the call from running (what a report counts as denied). */
export const DENYING: ReadonlySet<string> = new Set<ActionName>(['errno', 'kill_process', 'kill_thread', 'trap', 'trace', 'user_notif']);

function enumName<T extends string>(table: readonly T[], v: number | string | undefined, prefix: string): T {
  if (typeof v === 'number') return table[v] ?? table[0]!;
  if (typeof v === 'string') {
    const s = v.startsWith(prefix) ? v.slice(prefix.length).toLowerCase() : v.toLowerCase();
    return (table as readonly string[]).includes(s) ? (s as T) : table[0]!;
  }
  return table[0]!;
}

/** Enum value (or protobufjs' enum string) -> event name. */
export const actionName = (v: number | string | undefined): ActionName => enumName(ACTIONS, v, 'ACTION_');
export const outcomeName = (v: number | string | undefined): OutcomeName => enumName(OUTCOMES, v, 'OUTCOME_');
export const modeName = (v: number | string | undefined): ModeName => enumName(MODES, v, 'MODE_');
export const identityName = (v: number | undefined): IdentityName => IDENTITIES[v ?? 0] ?? 'unknown';
/** sigsys.v1.Source as a name; unspecified (0) and unknown values are the handler. */
export const sourceName = (v: number | string | undefined): SourceName =>
  v === Source.SUPERVISOR || v === 'SOURCE_SUPERVISOR' ? 'supervisor' : 'handler';

function valuesByName(table: readonly string[]): ReadonlyMap<string, number> {
  return new Map(table.map((name, i) => [name, i] as [string, number]).filter(([name]) => name !== 'unknown'));
}
/** Event name -> enum value (absent: 0, UNSPECIFIED). */
export const ACTION_VALUE = valuesByName(ACTIONS);
export const OUTCOME_VALUE = valuesByName(OUTCOMES);
export const MODE_VALUE = valuesByName(MODES);
export const IDENTITY_VALUE = valuesByName(IDENTITIES);

// ---- architectures (AUDIT_ARCH_* from <linux/audit.h>) ----

/** AUDIT_ARCH value -> libseccomp arch name. */
const ARCH_BY_AUDIT: ReadonlyMap<number, string> = new Map([
  [0xc000003e, 'x86_64'],
  [0x40000003, 'x86'],
  [0xc00000b7, 'aarch64'],
  [0x40000028, 'arm'],
  [0xc00000f3, 'riscv64'],
  [0x80000016, 's390x'],
  [0xc0000015, 'ppc64le'],
]);
const AUDIT_BY_ARCH: ReadonlyMap<string, number> = new Map([
  ...[...ARCH_BY_AUDIT].map(([audit, name]) => [name, audit] as [string, number]),
  ['x32', 0xc000003e], // x32 is x86_64's audit arch with the x32 bit in nr
]);
const X32_SYSCALL_BIT = 0x40000000;

/** libseccomp-style arch name for an AUDIT_ARCH value (and nr, for x32); unknown values as 0x-hex. */
export function archName(arch: number | undefined, nr = 0): string {
  const a = (arch ?? 0) >>> 0;
  const name = ARCH_BY_AUDIT.get(a);
  if (name === 'x86_64' && nr >= 0 && (nr & X32_SYSCALL_BIT) !== 0) return 'x32';
  return name ?? `0x${a.toString(16)}`;
}

/** The inverse of archName: AUDIT_ARCH value of a name (0x-hex names too), 0 when unknown. */
export function auditArch(name: string): number {
  const known = AUDIT_BY_ARCH.get(name);
  if (known !== undefined) return known;
  return /^0x[0-9a-f]+$/i.test(name) ? Number.parseInt(name.slice(2), 16) >>> 0 : 0;
}

// ---- building an event ----

/** What is constant for every event of one ring (RingContext, or a Kafka message's own fields). */
export type EventOrigin = Pick<
  ViolationEvent,
  | 'host' | 'bootId' | 'ringPid' | 'ringStartNs' | 'comm' | 'exe' | 'containerId' | 'pod' | 'namespace' | 'workload' | 'policyHash'
  | 'identity' | 'writerUid' | 'source'
> & {
  /** Forged rings: every event's pid is the real writer's (ringPid), tid 0. */
  forged?: boolean;
};

/** What each event says for itself, already formatted (the ViolationEvent fields not in EventOrigin). */
export type EventFields = Pick<
  ViolationEvent,
  'time' | 'timeNs' | 'seq' | 'pid' | 'tid' | 'syscall' | 'nr' | 'arch' | 'args' | 'ip' | 'callSite' | 'action' | 'outcome' | 'errno' | 'mode'
> & {
  /** Set only where the event carries it (audit mode). */
  ret: string | undefined;
  /** Calls a count record stands for; 0 = one event (no `repeat` field). */
  repeat: number;
};

/** A count record's repeat as a safe number (clamped). */
export const repeatCount = (r: bigint): number => (r <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(r) : Number.MAX_SAFE_INTEGER);

/**
 * The ViolationEvent every sink sees.  Property order is the NDJSON field
 * order, so this is the only place that writes the literal.
 */
export function buildEvent(o: EventOrigin, f: EventFields): ViolationEvent {
  const ev: ViolationEvent = {
    time: f.time,
    timeNs: f.timeNs,
    host: o.host,
    bootId: o.bootId,
    ringPid: o.ringPid,
    ringStartNs: o.ringStartNs,
    seq: f.seq,
    pid: o.forged ? o.ringPid : f.pid,
    tid: o.forged ? 0 : f.tid,
    // comm is a [collector] field: a ring record that carries it is the
    // writer's word, so it comes from the origin.
    comm: o.comm,
    exe: o.exe,
    syscall: f.syscall,
    nr: f.nr,
    arch: f.arch,
    args: f.args,
    ip: f.ip,
    callSite: f.callSite,
    action: f.action,
    outcome: f.outcome,
    errno: f.errno,
    mode: f.mode,
    containerId: o.containerId,
    pod: o.pod,
    namespace: o.namespace,
    workload: o.workload,
    policyHash: o.policyHash,
    identity: o.identity,
    writerUid: o.writerUid,
    source: o.source,
  };
  if (f.ret !== undefined) ev.ret = f.ret;
  if (f.repeat > 0) ev.repeat = f.repeat;
  return ev;
}
