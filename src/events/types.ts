/**
 * types.ts - the in-memory shape of one violation after the collector decoded
 * and enriched it.  NDJSON lines are exactly this object (JSON-serialised);
 * the Kafka value is the same data as a protobuf sigsys.v1.Violation.
 */
import type { ACTIONS, IDENTITIES, MODES, OUTCOMES } from './schema.js';

/** sigsys.v1.Action as an event names it (the list is schema.ts's). */
export type ActionName = (typeof ACTIONS)[number];

export type OutcomeName = (typeof OUTCOMES)[number];

/**
 * How far the collector tied the ring's claims to the kernel's view of its
 * writer (src/collector/identity.ts, docs/security.md).  'unknown': an event
 * from a collector that did not say (before proto field 34).
 */
export type IdentityName = (typeof IDENTITIES)[number];

/** Who wrote the ring: the in-process SIGSYS handler or a USER_NOTIF supervisor. */
export type SourceName = 'handler' | 'supervisor';

export interface ViolationEvent {
  /** ISO-8601 wall-clock time of the trap. */
  time: string;
  /** Same instant in ns since the epoch, as a decimal string (exact). */
  timeNs: string;
  host: string;
  bootId: string;
  /** pid of the process that created the ring. */
  ringPid: number;
  /**
   * Creation time of the ring (ns, decimal string): an execve starts a new
   * ring under the same pid, so (host, bootId, ringPid, ringStartNs, seq) is
   * the dedup key.
   */
  ringStartNs: string;
  /** Per-ring sequence number. */
  seq: number;
  pid: number;
  tid: number;
  comm: string;
  exe: string;
  /** Syscall name for (arch, nr), or `nr:<n>` when unknown. */
  syscall: string;
  nr: number;
  /** libseccomp arch name, e.g. "x86_64". */
  arch: string;
  /** Six arguments as 0x-prefixed hex strings (64-bit exact). */
  args: string[];
  /** Address after the syscall instruction, 0x-hex. */
  ip: string;
  /** module+0xoffset when the address falls in a known mapping, else the address. */
  callSite: string;
  action: ActionName;
  outcome: OutcomeName;
  /** errno returned to the caller (ERRNO actions), else 0. */
  errno: number;
  /** Audit mode: the real return value of the re-issued call. */
  ret?: string;
  mode: (typeof MODES)[number];
  containerId: string;
  pod: string;
  namespace: string;
  /** Container id, else pod, else exe. */
  workload: string;
  /** Hex SHA-256 of the profile the policy came from. */
  policyHash: string;
  /**
   * verified: the claims above were checked against the live writer.
   * unverified: never seen alive; the claims are the ring's word, and
   * `workload` is `unverified:uid-<writerUid>` (collect) so nothing groups
   * them with a real workload.  forged: the claims disagreed with the
   * kernel; identity fields hold what the kernel showed (the real writer's
   * pid, exe, container) and `workload` is `forged:uid-<writerUid>`.
   */
  identity: IdentityName;
  /** Owner uid of the ring file: the uid of the process that created it. */
  writerUid: number;
  /**
   * Who wrote the event (sigsys.v1.Source, from RingMeta.source): the
   * in-process SIGSYS handler, or the sigsys-exec supervisor answering a
   * seccomp user notification (static, Go, musl programs).
   */
  source: SourceName;
  /**
   * Count records only (sigsys.v1.Violation.repeat, field 36): this event
   * stands for `repeat` identical calls (same pid, syscall, call site,
   * action, outcome, errno) the handler counted instead of reporting one by
   * one.  Absent = one call.  Totals sum `repeat ?? 1` (eventCalls()).
   */
  repeat?: number;
}

/** How many calls an event stands for: `repeat` of a count record, else 1. */
export const eventCalls = (e: { repeat?: number }): number => (e.repeat && e.repeat > 0 ? e.repeat : 1);
