/**
 * dedupe.ts - drop events seen before, by (host, boot id, ring pid, seq).
 *
 * Delivery to Kafka is at-least-once: a collector that was killed before it
 * advanced a ring's cursor, or a produce that timed out after the broker had
 * written it, sends the same events again.  Every event carries the identity
 * of the ring it came from (host, boot id, ring owner pid) and a sequence
 * number unique within that ring, so a duplicate is recognised exactly.
 *
 * Memory stays bounded without keeping every key:
 *  - per ring ("producer") we keep a high-water mark `hw` (largest seq seen)
 *    and a bitmap of the `window` seqs just below it (default 4096 bits =
 *    512 bytes).  Events of one ring travel in seq order on one partition
 *    (same key = workload), so almost all arrive above `hw`; the window
 *    absorbs the little reordering the ring's multi-producer commit order
 *    allows, and gaps (events dropped by a full ring) are simply never set.
 *  - a seq at or below `hw - window` is treated as a duplicate: it can only
 *    be a re-delivery (a replay of the topic, a collector retry), never a new
 *    event, given the window is larger than any reordering.
 *  - at most `maxProducers` rings are tracked (least recently seen evicted,
 *    default 200,000 ≈ 120 MB worst case); a ring idle long enough to be
 *    evicted has had its owner exit, so its events do not come back except by
 *    a replay older than that - the documented limit of the scheme.
 * A new boot id, ring pid or ring start time (pid reuse, or an execve that
 * started a new ring under the same pid) is a new producer.
 */
export interface DedupeKey {
  host: string;
  bootId: string;
  ringPid: number;
  /** Creation time of the ring: an execve starts a new ring under the same pid. */
  ringStartNs: string;
  seq: number;
  /**
   * The collector's identity verdict: rings it did not verify live in their
   * own key space, so events claiming a real ring's (host, boot, pid, start)
   * cannot make the real ones look like duplicates.
   */
  identity?: string;
}

export interface DeduperOptions {
  /** Reordering window per ring in events (default 4096; rounded up to 32). */
  window?: number;
  /** Rings tracked at most (default 200,000; least recently seen evicted). */
  maxProducers?: number;
}

export interface Deduper {
  /** true if the event is new (and remembers it), false for a duplicate. */
  accept(k: DedupeKey): boolean;
  /** The same with the ring's identity already made a string (producerId(k)). */
  acceptId(id: string, seq: number): boolean;
  readonly producers: number;
  readonly evicted: number;
}

interface ProducerState {
  hw: number; // highest seq seen; -1 before the first
  // A ring of `window` bits: bit (seq mod window) is set when seq in
  // (hw - window, hw] was seen.  Advancing hw by n clears n bits (the seqs
  // that left the window), so an in-order event costs O(1), not O(window).
  bits: Uint32Array;
}

/** The identity of the ring an event came from, as the deduper keys it. */
export function producerId(k: Omit<DedupeKey, 'seq'>): string {
  const trusted = !k.identity || k.identity === 'verified' || k.identity === 'unknown';
  return `${trusted ? '' : `${k.identity}\u0000`}${k.host}\u0000${k.bootId}\u0000${k.ringPid}\u0000${k.ringStartNs}`;
}

export function createDeduper(opts: DeduperOptions = {}): Deduper {
  const words = Math.max(1, Math.ceil((opts.window ?? 4096) / 32));
  const window = words * 32;
  const maxProducers = opts.maxProducers ?? 200_000;
  // Map iteration order is insertion order: delete+set on access = LRU.
  const producers = new Map<string, ProducerState>();
  let evicted = 0;
  // Events of one ring come in runs: the last producer is already the most
  // recently used, so a run skips the LRU update.
  let lastId = '';
  let last: ProducerState | undefined;

  const pos = (seq: number) => seq % window;
  function testBit(s: ProducerState, seq: number): boolean {
    const p = pos(seq);
    return ((s.bits[p >>> 5]! >>> (p & 31)) & 1) === 1;
  }
  function setBit(s: ProducerState, seq: number): void {
    const p = pos(seq);
    s.bits[p >>> 5]! |= 1 << (p & 31);
  }
  function clearBit(s: ProducerState, seq: number): void {
    const p = pos(seq);
    s.bits[p >>> 5]! &= ~(1 << (p & 31));
  }

  const d: Deduper = {
    accept(k: DedupeKey): boolean {
      return d.acceptId(producerId(k), k.seq);
    },
    acceptId(id: string, seq: number): boolean {
      let s: ProducerState | undefined;
      if (id === lastId && last) s = last;
      else {
        s = producers.get(id);
        if (s) {
          producers.delete(id);
          producers.set(id, s);
        } else {
          s = { hw: -1, bits: new Uint32Array(words) };
          producers.set(id, s);
          if (producers.size > maxProducers) {
            const oldest = producers.keys().next().value as string;
            producers.delete(oldest);
            evicted++;
          }
        }
        lastId = id;
        last = s;
      }
      if (seq > s.hw) {
        if (s.hw < 0 || seq - s.hw >= window) s.bits.fill(0);
        else for (let q = s.hw + 1; q < seq; q++) clearBit(s, q);
        s.hw = seq;
        clearBit(s, seq);
        setBit(s, seq);
        return true;
      }
      if (s.hw - seq >= window || seq < 0) return false;
      if (testBit(s, seq)) return false;
      setBit(s, seq);
      return true;
    },
    get producers() {
      return producers.size;
    },
    get evicted() {
      return evicted;
    },
  };
  return d;
}
