/**
 * enrich.ts - turn a decoded sigsys.v1.Violation plus its ring's RingMeta
 * into the ViolationEvent every sink sees (events/types.ts).
 *
 * Per ring, `createRingContext(meta)` works out once what is constant for the
 * whole process: host, boot id, exe, container id (from the cgroup path), pod,
 * workload and the executable mappings used to name call sites.  Per event,
 * `enricher.enrich(v, ctx)` only formats numbers and looks the syscall name
 * up (through the addon's syscallName, cached).
 *
 * Decoded messages come from protobufjs, whose 64-bit fields may be Long
 * objects, numbers, strings or bigints depending on how they were decoded;
 * `toBig` accepts all of them.
 */
import { basename } from 'node:path';
import { archName, buildEvent, modeName, repeatCount, sourceName, actionName, outcomeName, type EventOrigin } from './schema.js';
import type { IdentityName, SourceName, ViolationEvent } from './types.js';

/** Anything protobufjs may hand us for a 64-bit field. */
export type Int64Like = number | string | bigint | { low: number; high: number; unsigned?: boolean } | null | undefined;

export function toBig(v: Int64Like): bigint {
  if (v === null || v === undefined) return 0n;
  if (typeof v === 'bigint') return v;
  if (typeof v === 'number') return BigInt(Math.trunc(v));
  if (typeof v === 'string') return v === '' ? 0n : BigInt(v);
  const lo = BigInt(v.low >>> 0);
  const hi = BigInt(v.high >>> 0);
  const u = (hi << 32n) | lo;
  return v.unsigned ? u : BigInt.asIntN(64, u);
}

/** u64 as 0x-hex (two's complement for negative inputs). */
export function hex64(v: Int64Like): string {
  if (typeof v === 'bigint') {
    if (v === 0n) return '0x0';
    return '0x' + (v < 0n || v > U64_MAX ? BigInt.asUintN(64, v) : v).toString(16);
  }
  if (typeof v === 'number' && v >= 0 && Number.isSafeInteger(v)) return '0x' + v.toString(16);
  return '0x' + BigInt.asUintN(64, toBig(v)).toString(16);
}
const U64_MAX = (1n << 64n) - 1n;

// ---- the decoded shapes we read (a subset of the protobufjs messages) ----

export interface DecodedMapping {
  start?: Int64Like;
  end?: Int64Like;
  offset?: Int64Like;
  path?: string;
}

export interface DecodedRingMeta {
  host?: string;
  pid?: number;
  ppid?: number;
  pidNs?: Int64Like;
  cgroup?: string;
  exe?: string;
  argv?: string[];
  bootId?: string;
  policyHash?: Uint8Array;
  pod?: string;
  namespace?: string;
  mode?: number | string;
  startNs?: Int64Like;
  comm?: string;
  maps?: DecodedMapping[];
  /** sigsys.v1.Source: 2 = a USER_NOTIF supervisor writes the ring. */
  source?: number | string;
  /** Supervisor rings: the supervisor's pid (it maps and writes the ring). */
  writerPid?: number;
}

export interface DecodedViolation {
  timeNs?: Int64Like;
  seq?: Int64Like;
  pid?: number;
  tid?: number;
  nr?: number;
  arch?: number;
  args?: Int64Like[];
  ip?: Int64Like;
  action?: number | string;
  outcome?: number | string;
  errnoRet?: number;
  ret?: Int64Like;
  mode?: number | string;
  syscall?: string;
  comm?: string;
  repeat?: Int64Like;
}

// Enum names and the arch table live in schema.ts; re-exported for callers of this module.
export { ACTIONS, MODES, OUTCOMES, actionName, archName, modeName, outcomeName, sourceName } from './schema.js';

// ---- containers ----

export interface CgroupIdentity {
  /** 64-hex (or shorter, as the runtime wrote it) container id; '' when none. */
  containerId: string;
  /** Kubernetes pod UID when the path is under kubepods; '' otherwise. */
  podUid: string;
  /** Runtime the path names: docker, containerd, crio, podman, or ''. */
  runtime: string;
}

const ID = '([0-9a-f]{12,64})';
const CGROUP_PATTERNS: Array<[RegExp, string]> = [
  [new RegExp(`cri-containerd-${ID}\\.scope`), 'containerd'],
  [new RegExp(`crio-(?:conmon-)?${ID}\\.scope`), 'crio'],
  [new RegExp(`libpod-(?:conmon-)?${ID}\\.scope`), 'podman'],
  [new RegExp(`docker-${ID}\\.scope`), 'docker'],
  [new RegExp(`/docker/${ID}(?:/|$)`), 'docker'],
  [new RegExp(`/libpod_parent/libpod-${ID}`), 'podman'],
  // cgroupfs kubepods: /kubepods/burstable/pod<uid>/<64hex>
  [new RegExp(`/kubepods[^\\n]*/pod[0-9a-f_-]+/${ID}(?:/|$)`), 'kube'],
  [new RegExp(`/containerd/${ID}(?:/|$)`), 'containerd'],
  [new RegExp(`/lxc/([A-Za-z0-9_.-]+)`), 'lxc'],
];
const POD_UID = /pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})/;

/**
 * Container identity from the text of /proc/<pid>/cgroup (all lines, v1 or
 * v2).  The most specific runtime pattern wins; nothing matches on a host
 * process.
 */
export function parseCgroup(text: string | undefined): CgroupIdentity {
  const out: CgroupIdentity = { containerId: '', podUid: '', runtime: '' };
  if (!text) return out;
  // Only the path part of each line ("hierarchy:controllers:path").
  const paths = text.split('\n').map((l) => {
    const i = l.indexOf(':');
    const j = i < 0 ? -1 : l.indexOf(':', i + 1);
    return j < 0 ? l : l.slice(j + 1);
  });
  for (const p of paths) {
    const pod = POD_UID.exec(p);
    if (pod && !out.podUid) out.podUid = pod[1]!.replace(/_/g, '-');
  }
  for (const [re, runtime] of CGROUP_PATTERNS) {
    for (const p of paths) {
      const m = re.exec(p);
      if (m) {
        out.containerId = m[1]!;
        out.runtime = runtime === 'kube' ? '' : runtime;
        return out;
      }
    }
  }
  return out;
}

// ---- call sites ----

interface MapEntry {
  start: bigint;
  end: bigint;
  offset: bigint;
  module: string;
}

/**
 * Index of the mapping holding `ip` in `maps` (sorted by start, not
 * overlapping), or -1.  Generic so that the fast decoder can search its
 * number copy of the mappings (collector/fast-decode.ts) with the same code.
 */
export function mappingIndex<T extends number | bigint>(maps: readonly { start: T; end: T }[], ip: T): number {
  let lo = 0;
  let hi = maps.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const m = maps[mid]!;
    if (ip < m.start) hi = mid - 1;
    else if (ip >= m.end) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/** module+0xoffset for an address, or the address when no mapping holds it. */
export function callSiteOf(maps: readonly MapEntry[], ip: bigint): string {
  const i = mappingIndex(maps, ip);
  if (i < 0) return '0x' + ip.toString(16);
  const m = maps[i]!;
  return `${m.module}+0x${(ip - m.start + m.offset).toString(16)}`;
}

// ---- per-ring context ----

/** Everything constant for one ring: the event's origin plus what enrichment needs. */
export interface RingContext extends EventOrigin {
  /** The ring's mode: events whose own mode is unspecified take it. */
  mode: ViolationEvent['mode'];
  /** Executable mappings, sorted by start: call sites. */
  maps: MapEntry[];
}

function hexBytes(b: Uint8Array | undefined): string {
  return b && b.length ? Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex') : '';
}

/** Everything constant for one ring; `ownerPid` from the ring header is the fallback pid. */
export function createRingContext(meta: DecodedRingMeta | undefined, ownerPid = 0, createdNs = '0'): RingContext {
  const m = meta ?? {};
  const cg = parseCgroup(m.cgroup);
  const exe = m.exe ?? '';
  const pod = m.pod ?? '';
  const maps: MapEntry[] = (m.maps ?? [])
    .map((x) => ({ start: toBig(x.start), end: toBig(x.end), offset: toBig(x.offset), module: basename(x.path ?? '') || '?' }))
    .filter((x) => x.end > x.start)
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  return {
    host: m.host ?? '',
    bootId: m.bootId ?? '',
    ringPid: m.pid || ownerPid,
    ringStartNs: (m.startNs !== undefined && toBig(m.startNs) !== 0n ? toBig(m.startNs) : BigInt(createdNs || '0')).toString(),
    exe,
    comm: m.comm ?? '',
    containerId: cg.containerId,
    pod: pod || (cg.podUid ? `pod-${cg.podUid}` : ''),
    namespace: m.namespace ?? '',
    workload: cg.containerId || (m.namespace && pod ? `${m.namespace}/${pod}` : pod) || (cg.podUid ? `pod-${cg.podUid}` : '') || exe || 'unknown',
    policyHash: hexBytes(m.policyHash),
    mode: modeName(m.mode),
    maps,
    identity: 'unknown',
    writerUid: 0,
    source: sourceName(m.source),
  };
}

/** What the kernel showed about a ring's writer (src/collector/identity.ts). */
export interface KernelView {
  identity: Exclude<IdentityName, 'unknown'>;
  /** Owner uid of the ring file. */
  writerUid: number;
  /** The live process the events are about (verified) or that writes the ring (forged). */
  pid?: number;
  exe?: string;
  comm?: string;
  cgroup?: string;
  /** This collector's host name and the kernel's boot id (forged rings). */
  host?: string;
  bootId?: string;
}

export interface IdentityOptions {
  /**
   * Workload of unverified rings: 'uid' (default) `unverified:uid-<uid>`, so
   * nothing groups them with a real workload; 'claimed' keeps the ring's
   * (sigsys run: a private spool only the workload tree can write).
   */
  unverifiedWorkload?: 'uid' | 'claimed';
}

/**
 * The ring context with the verdict applied.  verified: the kernel's exe and
 * container replace the (agreeing) claims.  unverified: the claims stay,
 * labelled.  forged: nothing the ring claims about who it is survives - pid,
 * exe, comm, container come from the live writer the kernel showed (empty
 * when none), pod and namespace are dropped, call sites are not resolved
 * through its claimed mappings.
 */
export function withIdentity(ctx: RingContext, k: KernelView, opts: IdentityOptions = {}): RingContext {
  const out: RingContext = { ...ctx, identity: k.identity, writerUid: k.writerUid };
  if (k.identity === 'verified') {
    if (k.exe) out.exe = k.exe;
    if (k.cgroup !== undefined) {
      const cg = parseCgroup(k.cgroup);
      if (cg.containerId) out.containerId = cg.containerId;
      if (cg.containerId) out.workload = cg.containerId;
    }
    return out;
  }
  if (k.identity === 'unverified') {
    if (opts.unverifiedWorkload !== 'claimed') out.workload = `unverified:uid-${k.writerUid}`;
    return out;
  }
  const cg = parseCgroup(k.cgroup);
  return {
    ...out,
    host: k.host ?? '',
    bootId: k.bootId ?? '',
    ringPid: k.pid ?? 0,
    exe: k.exe ?? '',
    comm: k.comm ?? '',
    containerId: cg.containerId,
    pod: '',
    namespace: '',
    workload: `forged:uid-${k.writerUid}`,
    maps: [],
    forged: true,
  };
}

// ---- per-event enrichment ----

export type SyscallNameFn = (nr: number, arch: string) => string | undefined | null;

export interface EnricherOptions {
  /** Name lookup (the addon's syscallName); unknown numbers become `nr:<n>`. */
  syscallName?: SyscallNameFn;
  /** Bound of the name cache (entries); the syscall space is small. */
  cacheSize?: number;
}

export interface Enricher {
  enrich(v: DecodedViolation, ctx: RingContext): ViolationEvent;
  syscallName(nr: number, arch: string): string;
}

const NS_PER_MS = 1_000_000n;

export function createEnricher(opts: EnricherOptions = {}): Enricher {
  const lookup = opts.syscallName;
  const cacheSize = opts.cacheSize ?? 4096;
  const cache = new Map<string, string>();

  function syscallName(nr: number, arch: string): string {
    const key = `${arch}:${nr}`;
    let name = cache.get(key);
    if (name !== undefined) return name;
    let found: string | undefined | null;
    try {
      found = lookup?.(nr, arch);
    } catch {
      found = undefined;
    }
    name = found || `nr:${nr}`;
    if (cache.size >= cacheSize) cache.clear();
    cache.set(key, name);
    return name;
  }

  // Events come in bursts: formatting the same millisecond again is the common case.
  let lastMs = -1;
  let lastIso = '';
  function isoOf(ns: bigint): string {
    const ms = Number(ns / NS_PER_MS);
    if (ms !== lastMs) {
      lastMs = ms;
      const d = new Date(ms);
      lastIso = Number.isNaN(d.getTime()) ? new Date(0).toISOString() : d.toISOString();
    }
    return lastIso;
  }

  function enrich(v: DecodedViolation, ctx: RingContext): ViolationEvent {
    const timeNs = toBig(v.timeNs);
    const nr = v.nr ?? 0;
    const arch = archName(v.arch, nr);
    const ipBig = BigInt.asUintN(64, toBig(v.ip));
    const rawArgs = v.args ?? [];
    const args = [hex64(rawArgs[0]), hex64(rawArgs[1]), hex64(rawArgs[2]), hex64(rawArgs[3]), hex64(rawArgs[4]), hex64(rawArgs[5])];
    const mode = modeName(v.mode);
    const evMode = mode === 'unknown' ? ctx.mode : mode;
    // syscall is a [collector] field: a ring record that carries it is the
    // writer's word, so the name comes from nr.
    return buildEvent(ctx, {
      time: isoOf(timeNs),
      timeNs: timeNs.toString(),
      seq: Number(toBig(v.seq)),
      pid: v.pid ?? 0,
      tid: v.tid ?? 0,
      syscall: syscallName(nr, arch),
      nr,
      arch,
      args,
      ip: '0x' + ipBig.toString(16),
      callSite: callSiteOf(ctx.maps, ipBig),
      action: actionName(v.action),
      outcome: outcomeName(v.outcome),
      errno: v.errnoRet ?? 0,
      mode: evMode,
      ret: evMode === 'audit' && v.ret !== undefined && v.ret !== null ? toBig(v.ret).toString() : undefined,
      repeat: v.repeat !== undefined && v.repeat !== null ? repeatCount(toBig(v.repeat)) : 0,
    });
  }

  return { enrich, syscallName };
}
