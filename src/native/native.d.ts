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
  /** Events producers dropped because the ring was full. */
  dropped: number;
  recordCount: number;
  ownerPid: number;
  /** CLOCK_REALTIME ns at creation, decimal string. */
  createdNs: string;
  closed: boolean;
}

export interface RingRecord {
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
   */
  stop: 'empty' | 'pending' | 'max';
  /** Records skipped in this call because their length/commit word was invalid. */
  corrupt: number;
}

export interface RingReader {
  readonly path: string;
  /** Encoded sigsys.v1.RingMeta from the header (a copy). */
  meta(): Buffer;
  stats(): RingStats;
  read(from: number, max: number): RingReadResult;
  /** Store the consumer cursor in the file (release), freeing slots below it. */
  commit(cursor: number): void;
  close(): void;
}

export interface RingReaderConstructor {
  /**
   * Open and map a ring file read-write (the cursor lives in it).  Throws an
   * Error whose message names the file and the cause (bad magic, truncated,
   * record size mismatch, ...) and whose `code` is 'ERING' or an errno code.
   */
  new (path: string): RingReader;
}

// ---- compile_binding.cc / syscalls_binding.cc: declared by the compiler work ----

export interface SigsysNative {
  RingReader: RingReaderConstructor;
  [name: string]: unknown;
}
