/**
 * native.d.ts - the typed view of sigsys.node (native/addon/).  Every
 * function the addon exports is declared here; src/native/loader.ts finds and
 * loads the file and returns it typed as `SigsysNative`.
 *
 * Sections are owned by the binding unit that implements them.
 */

// ---- ring_binding.cc: the consumer side of the spool ring (native/src/ring.h) ----

export interface RingStats {
  /** Next ticket producers will hand out. */
  head: number;
  /** First ticket not yet consumed (stored in the file). */
  cursor: number;
  /**
   * Events producers dropped: ring full, or (rarely) CAS retries exhausted
   * under contention.  With `sigsys-ringfill --block` every refused attempt
   * counts too.
   */
  dropped: number;
  recordCount: number;
  ownerPid: number;
  /** CLOCK_REALTIME ns at creation, decimal string. */
  createdNs: string;
  /**
   * Header flag the sigsys-exec supervisor sets when the process it writes a
   * ring for has exited (native/src/supervisor.c); the preload never sets
   * it, and the collector decides liveness from /proc (liveness.ts), not
   * from this.
   */
  closed: boolean;
}

export interface RingFile {
  /** Owner of the file: the uid of the process that created it (or root). */
  uid: number;
  gid: number;
  ino: number;
  devMajor: number;
  devMinor: number;
  size: number;
  mode: number;
}

export interface RingRecord {
  /** The record's ticket: the per-ring sequence number (also in Violation.seq). */
  seq: number;
  /** Encoded sigsys.v1.Violation (a copy; safe to keep). */
  data: Buffer;
}

export interface RingReadResult {
  records: RingRecord[];
  /** The ticket to read next. */
  next: number;
  /**
   * Why reading stopped: 'empty' (caught up with head), 'pending' (ticket
   * `next` is reserved but not committed), or 'max' (returned `max` records).
   * A ticket can stay pending forever if its producer died between reserve
   * and commit (SIGKILL); the caller decides when to give up on it and read
   * on from `next + 1` (committing past it is allowed).
   */
  stop: 'empty' | 'pending' | 'max';
  /** Records skipped in this call because their length/commit word was invalid. */
  corrupt: number;
}

/** read() packed: record i is data[ends[i-1] ?? 0 .. ends[i]), ticket seqs[i]. */
export interface RingPackedReadResult {
  /** The records' payloads back to back (a copy; safe to keep). */
  data: Buffer;
  /** End offset of each record in `data`. */
  ends: Uint32Array;
  /** Ticket (per-ring sequence number) of each record. */
  seqs: Float64Array;
  next: number;
  stop: 'empty' | 'pending' | 'max';
  corrupt: number;
}

export interface RingReader {
  readonly path: string;
  /** Encoded sigsys.v1.RingMeta from the header (a copy). */
  meta(): Buffer;
  stats(): RingStats;
  /**
   * Copies of up to `max` committed records from ticket `from` on, in ticket
   * order; corrupt records are skipped and counted.  Reading starts at
   * max(from, cursor): tickets below the cursor were consumed and their slots
   * may be reused.  At most min(max, recordCount, 16384) records per call.  Throws
   * ERING when the header's head/cursor cannot come from a real producer
   * (head behind cursor, more than recordCount ahead, beyond 2^53) or the
   * file shrank under the mapping (SIGBUS caught, see ring_binding.cc); RangeError for a
   * bad argument (negative, not a safe integer, max 0).
   */
  read(from: number, max: number): RingReadResult;
  /**
   * The records read() returns, same rules and errors, in one buffer: no
   * object and Buffer per record (the collector's hot path).
   */
  readPacked(from: number, max: number): RingPackedReadResult;
  /**
   * Store the consumer cursor in the file (release), freeing slots below it.
   * Never moves it backwards (a lower value is a no-op); RangeError if beyond
   * head.
   */
  commit(cursor: number): void;
  /**
   * Turn the ring's hot-loop counters into count records (Violation.repeat,
   * field 36) written into this ring, stamped `nowNs`; read() returns them
   * like any record.  Exact across a collector killed at any point (claim
   * protocol, docs/ring.md "Hot loops").  Returns the records written; stops
   * early when the ring is full (call again after reading).
   */
  flushHot(nowNs: bigint): number;
  /**
   * Step over tickets in [max(from, cursor), upto) that are still pending
   * (reserved, never committed) - once the caller decided they are torn.
   * Stops at the first committed, corrupt or unreserved ticket; bounded by
   * recordCount.  The cursor is not moved (commit does that).
   */
  skipPending(from: number, upto: number): { next: number; skipped: number };
  /** fstat() of the descriptor that was mapped (closed right after mapping). */
  file(): RingFile;
  /** Unmap; later calls throw ERING. Idempotent. */
  close(): void;
}

export interface RingReaderConstructor {
  /**
   * Open and map a ring file read-write (the cursor lives in it).  Throws an
   * Error whose message names the file and the cause (bad magic, truncated,
   * record size mismatch, ...) and whose `code` is 'ERING' or an errno code
   * ('ENOENT', 'EACCES', 'ELOOP' for a symlink - never followed, 'EISDIR').
   * FIFOs and other non-regular files are refused without blocking.
   */
  new (path: string): RingReader;
}

// ---- compile_binding.cc / syscalls_binding.cc: the profile compiler ----

/** Action kinds as in native/src/policy.h (enum sigsys_action_kind): schema.ts's ActionKind. */
export type NativeActionKind = import('../events/schema.js').ActionKind;

export interface NativeAction {
  kind: NativeActionKind;
  /** ERRNO: errno returned; TRACE: message data; else 0. */
  errno: number;
}

export interface NativeArgCond {
  index: number;
  /** BigInt, number (< 2^53) or decimal/0x string. For MASKED_EQ: the mask. */
  value: bigint | number | string;
  valueTwo: bigint | number | string;
  op: 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';
}

export interface NativeRule {
  /** Syscall names (resolved by libseccomp; unknown ones are skipped with one warning)... */
  names?: string[];
  /** ...or a number of the build host's arch. */
  nr?: number;
  action: NativeAction;
  /** ANDed conditions, at most one per index. */
  args: NativeArgCond[];
  /** JSON path of the profile entry, used in errors and warnings. */
  source?: string;
}

export interface NativeProfile {
  defaultAction: NativeAction;
  /** libseccomp arch tokens ("x86_64", "x86", "x32", ...). */
  arches: string[];
  rules: NativeRule[];
}

export interface NativeCompileOptions {
  /** Target arch (libseccomp token); default: the build host's. */
  arch?: string;
  mode?: 'enforce' | 'audit';
  /** SCMP_FLTATR_CTL_OPTIMIZE=2; default true. */
  binaryTree?: boolean;
  /** SHA-256 of the profile file (32 bytes). */
  profileHash?: Buffer;
}

export interface NativeCompileResult {
  /** The policy image (native/src/policy.h). */
  policy: Buffer;
  warnings: string[];
  insns: number;
  actions: number;
}

export interface NativeExplainData {
  nr: number;
  /** libseccomp token or AUDIT_ARCH number; default: the policy's arch. */
  arch?: string | number;
  args?: (bigint | number | string)[];
  /** Default: an address that is never the trusted instruction. */
  ip?: bigint | number | string;
}

export interface NativeExplainResult {
  /** The SECCOMP_RET_* value the real BPF program returned. */
  ret: number;
  /** Index of the instruction that returned it. */
  retAt: number;
  /**
   * The policy's prologue trapped the call so the SIGSYS handler keeps SIGSYS
   * deliverable (rt_sigaction, a blocking rt_sigprocmask); `action` and
   * `index` are then what the profile's program answers, as the handler asks it.
   */
  signals: boolean;
  /** The profile's action: decoded from the action table for sigsys traps. */
  action: NativeAction & { seccomp: number };
  /** Action table index for sigsys traps, else null. */
  index: number | null;
}

export interface NativePolicyInfo {
  version: number;
  arch: number;
  archName: string | null;
  mode: 'enforce' | 'audit' | 'unknown';
  insns: number;
  trustedIpLoAt: number;
  trustedIpHiAt: number;
  /** Instructions of the prologue at the start of the program (native/src/prologue.h). */
  prologueLen: number;
  checksum: number;
  /** Hex SHA-256 of the profile. */
  profileHash: string;
  actions: (NativeAction & { seccomp: number })[];
}

// ---- scan_binding.cc: sigsys's own NDJSON lines to columns (native/src/ndjson_scan.h) ----

/** Per-line columns LineScanner.scan fills (all sized for `end.length` lines). */
export interface LineScanColumns {
  /** Offset of each line's '\n' in the bytes. */
  end: Int32Array;
  /** 1: the line has sigsys's writer's shape and the fields below are set; 0: JSON.parse it. */
  ok: Uint8Array;
  /** SLOTS string ids per line (host, bootId, ringStartNs, exe, syscall, callSite, action, outcome, mode, workload, policyHash, identity); -1: absent. */
  str: Int32Array;
  /** NUMS numbers per line (ms, ringPid, seq, pid, errno, calls). */
  num: Float64Array;
  /**
   * Optional: TUPS ids per matched line, each a dense id of its own kind for a distinct tuple of fields:
   * fine (workload, exe, syscall, callSite, action, outcome, errno), producer (host, bootId, ringStartNs,
   * identity, ringPid), meta (mode, policyHash).
   */
  tup?: Int32Array;
}

export interface LineScanner {
  /** Lines of bytes[from..] that end in '\n', at most cols.end.length of them; returns how many. */
  scan(bytes: Uint8Array, from: number, cols: LineScanColumns): number;
  /** Strings with ids >= from (ids are dense, in order of first sight). */
  strings(from: number): string[];
  /** Tuples of kind 0 (fine), 1 (producer) or 2 (meta) interned so far. */
  tuples(kind: number): number;
}

export interface LineScannerConstructor {
  new (): LineScanner;
  readonly SLOTS: number;
  readonly NUMS: number;
  readonly TUPS: number;
}

/** One ring's constant fields as JSON text and its mappings (native/src/ndjson_encode.h struct nj_ring). */
export interface NdjsonRingSpec {
  /** `,"host":..,"bootId":..,"ringPid":..,"ringStartNs":..,"seq":` */
  ring: Uint8Array;
  /** `,"comm":..,"exe":..,"syscall":` */
  comm: Uint8Array;
  /** `,"containerId":..` through `"source":..` */
  tail: Uint8Array;
  /** Forged rings: the pid every event gets (tid 0). */
  forgedPid?: Uint8Array;
  /** The ring's mode as the enum value (0 unknown, 1 enforce, 2 audit). */
  mode: number;
  /** Mappings sorted by start; offset + (end - start) must not pass 2^64. */
  mapStart: BigUint64Array;
  mapEnd: BigUint64Array;
  mapOffset: BigUint64Array;
  /** JSON text `"<module>+0x` of each mapping, back to back, and their end offsets. */
  prefixes: Uint8Array;
  prefixEnds: Uint32Array;
}

export interface NdjsonEncodeResult {
  /** Bytes written to `out`: the lines of the records written natively, in order. */
  length: number;
  /** Batch indices of the records left to the TypeScript path... */
  fallback: Uint32Array;
  /** ...and the offset in `out` where each one's line belongs. */
  fallbackAt: Uint32Array;
  /** Six numbers per label set (first-seen order): arch, nr, action, outcome, calls, first index. */
  tally: Float64Array;
  /** Two numbers per syscall that had no name (arch, nr): setSyscall() them and encode again. */
  missing: Float64Array;
}

/** A readPacked batch to NDJSON lines in one call (native/addon/ndjson_binding.cc). */
export interface NdjsonEncoder {
  /** JSON text `"<name>","nr":<nr>,"arch":"<arch>","args":[` for (AUDIT_ARCH, nr). */
  setSyscall(arch: number, nr: number, text: Uint8Array): void;
  /**
   * Lines into out[0, length).  When `out` is shorter than this batch's worst
   * case, writes nothing and returns only `needBytes` (grow it and call again).
   */
  encode(ring: NdjsonRingSpec, data: Uint8Array, ends: Uint32Array, seqs: Float64Array, out: Uint8Array): NdjsonEncodeResult | { needBytes: number };
}

export interface SigsysNative {
  RingReader: RingReaderConstructor;
  LineScanner: LineScannerConstructor;
  /** Absent in an addon built before it (the collector then encodes in TypeScript). */
  NdjsonEncoder?: new () => NdjsonEncoder;
  /** Throws Error with code 'ERULE' (+ jsonPath, syscall), 'ECOMPILE', 'E2BIG'. */
  compile(profile: NativeProfile, opts: NativeCompileOptions): NativeCompileResult;
  /** Throws Error with code 'EPOLICY' for a buffer that is not a valid policy. */
  explain(policy: Buffer, data: NativeExplainData): NativeExplainResult;
  policyInfo(policy: Buffer): NativePolicyInfo;
  /** Number on `arch` (negative: a libseccomp pseudo number, not on that arch), null if unknown. */
  syscallNumber(name: string, arch?: string | number): number | null;
  syscallName(nr: number, arch?: string | number): string | null;
  arches(): { name: string; value: number; native: boolean }[];
  /** AUDIT_ARCH_* value of a libseccomp arch token, null if unknown. */
  archValue(name: string): number | null;
  [name: string]: unknown;
}
