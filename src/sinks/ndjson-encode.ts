/**
 * ndjson-encode.ts - the NDJSON lines of a batch of ViolationEvents as UTF-8
 * bytes, byte-identical to `JSON.stringify(ev) + '\n'` for each event, at a
 * fraction of its cost.
 *
 * Why not JSON.stringify: it walks the object generically (per key a lookup,
 * a toJSON check, the key escaped, every string scanned), and the sink then
 * concatenated ~700-byte strings and converted the whole batch to UTF-8
 * again.  An event has a fixed layout (events/types.ts) and half of its
 * fields are the same for every event of a ring (host, boot id, exe,
 * workload, ...), so this encoder writes straight into one reused buffer:
 * keys are constant bytes, the per-ring runs of fields are encoded once and
 * copied while they are the same strings as in the previous event (a
 * pointer comparison in V8), and only the strings that change are scanned.
 *
 * Exact, not approximately right: an event is written this way only when it
 * has exactly the own keys of ViolationEvent in the order the enrichers
 * create them (ret and repeat, both optional, last) and every value has the
 * type the interface says.  A string that needs escaping (quote, backslash,
 * control character, any surrogate) or is not ASCII is encoded by
 * JSON.stringify itself.  Anything else - another key or order, a bigint, a
 * non-finite number, an args entry that is not a string - is written as
 * JSON.stringify(ev), so the bytes (or the TypeError for a bigint) are always
 * what JSON.stringify gives.  test/ndjson-encode.test.ts compares the two on
 * fixtures and on seeded random events.
 */
import type { ViolationEvent } from '../events/types.js';

/** The own keys of an event in creation order (buildEvent in src/events/schema.ts, the one place events are made). */
const KEYS = [
  'time', 'timeNs', 'host', 'bootId', 'ringPid', 'ringStartNs', 'seq', 'pid', 'tid', 'comm', 'exe', 'syscall', 'nr', 'arch',
  'args', 'ip', 'callSite', 'action', 'outcome', 'errno', 'mode', 'containerId', 'pod', 'namespace', 'workload',
  'policyHash', 'identity', 'writerUid', 'source', 'ret', 'repeat',
] as const;
const REQUIRED = KEYS.length - 2;

/** A JSON string literal for s, exactly as JSON.stringify writes it. */
export function quoteJson(s: string): string {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    // Quote, backslash, control characters and surrogates (a lone one is
    // written as \udXXX): rare in events, left to JSON.stringify.
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(s);
  }
  return '"' + s + '"';
}

/**
 * Own enumerable keys exactly KEYS[0..29) then, optionally, ret, repeat or
 * ret and repeat: the layout the encoder writes.
 */
function hasEventLayout(ev: object): boolean {
  let i = 0;
  let last = '';
  for (const k in ev) {
    if (i < REQUIRED) {
      if (k !== KEYS[i]) return false;
    } else if (!((k === 'ret' && i === REQUIRED) || (k === 'repeat' && last !== 'repeat'))) return false;
    last = k;
    i++;
  }
  return i >= REQUIRED;
}

const isStr = (v: unknown): v is string => typeof v === 'string';
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const bytes = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

// Constant parts of a line, between the fields the encoder writes itself.
const K_PID = bytes(',"pid":');
const K_TID = bytes(',"tid":');
const K_ARGS_END = bytes('],"ip":');
const K_CALLSITE = bytes(',"callSite":');
const K_RET = bytes(',"ret":');
const K_REPEAT = bytes(',"repeat":');

export interface NdjsonEncoder {
  /**
   * The events' lines, each `JSON.stringify(ev) + '\n'`, as UTF-8.  The
   * result is a view of a buffer the encoder reuses: valid until the next
   * call (copy it to keep it).
   */
  encode(events: readonly ViolationEvent[]): Buffer;
}

/**
 * One per sink: it keeps a scratch buffer (grown to the largest batch) and
 * the encoded per-ring fields of the last event.
 */
/** A value no event field holds: the caches' "nothing encoded yet". */
const UNSET: unknown = Symbol('unset');

export function createNdjsonEncoder(opts: { initialBytes?: number } = {}): NdjsonEncoder {
  let buf = Buffer.allocUnsafe(opts.initialBytes ?? 1 << 20);
  let off = 0;

  // Cached runs of fields, valid while their values are the same as when
  // encoded: time; host..seq; comm..args (per syscall); action..errno;
  // mode..source.
  // Caches start at UNSET, never equal to a field's value (undefined
  // included), so the first event always encodes its runs.
  let tTime: unknown = UNSET, timeSeg: Uint8Array = new Uint8Array(0);
  let rHost: unknown = UNSET, rBoot: unknown = UNSET, rRingPid: unknown = UNSET, rStart: unknown = UNSET, ringSeg: Uint8Array = timeSeg;
  let cComm: unknown = UNSET, cExe: unknown = UNSET, commText = '';
  let sName: unknown = UNSET, sNr: unknown = UNSET, sArch: unknown = UNSET, sysSeg: Uint8Array = timeSeg;
  const sysSegs = new Map<string, { nr: number; arch: string; bytes: Uint8Array }>();
  let wCont: unknown = UNSET, wPod: unknown = UNSET, wNs: unknown = UNSET, wWork: unknown = UNSET, wHash: unknown = UNSET, wId: unknown = UNSET, wUid: unknown = UNSET, wSrc: unknown = UNSET;
  let tailSeg: Uint8Array = timeSeg;
  let aAction: unknown = UNSET, aOutcome: unknown = UNSET, actionSeg: Uint8Array = timeSeg;
  let mMode: unknown = UNSET;
  let xAction: Uint8Array | undefined, xTail: Uint8Array | undefined, xErrno: unknown = UNSET, xSeg: Uint8Array = timeSeg;

  function room(n: number): void {
    if (off + n <= buf.length) return;
    const nb = Buffer.allocUnsafe(Math.max(buf.length * 2, off + n));
    buf.copy(nb, 0, 0, off);
    buf = nb;
  }

  // The writers below take and return the write offset and never grow the
  // buffer: event() reserves the most one line can take first.

  function put(b: Uint8Array, o: number): number {
    const out = buf;
    const n = b.length;
    if (n > 16) out.set(b, o);
    else for (let i = 0; i < n; i++) out[o + i] = b[i]!;
    return o + n;
  }

  /** s as a JSON string literal: plain ASCII copied, anything else through quoteJson (at most 6 bytes a char + 2). */
  function str(s: string, o: number): number {
    const out = buf;
    const n = s.length;
    const start = o;
    out[o++] = 0x22;
    for (let i = 0; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c === 0x22 || c === 0x5c || c > 0x7f) return start + out.write(quoteJson(s), start, 'utf8');
      out[o++] = c;
    }
    out[o++] = 0x22;
    return o;
  }

  /** A finite number as JSON.stringify writes it (-0 as 0, like String(-0)); at most 24 bytes. */
  function num(v: number, o: number): number {
    const out = buf;
    if (v >= 0 && v < 10 && Number.isInteger(v)) {
      out[o] = 0x30 + v;
      return o + 1;
    }
    const s = '' + v;
    const n = s.length;
    for (let i = 0; i < n; i++) out[o + i] = s.charCodeAt(i);
    return o + n;
  }

  /** false when the event must be written by JSON.stringify (nothing of it kept). */
  function event(ev: ViolationEvent): boolean {
    const e = ev as unknown as Record<string, unknown>;
    if (!hasEventLayout(e)) return false;
    const time = e.time, timeNs = e.timeNs, host = e.host, bootId = e.bootId, ringPid = e.ringPid, ringStartNs = e.ringStartNs;
    const seq = e.seq, pid = e.pid, tid = e.tid, comm = e.comm, exe = e.exe, syscall = e.syscall, nr = e.nr, arch = e.arch;
    const args = e.args, ip = e.ip, callSite = e.callSite, action = e.action, outcome = e.outcome, errno = e.errno, mode = e.mode;
    const cont = e.containerId, pod = e.pod, ns = e.namespace, work = e.workload, hash = e.policyHash, id = e.identity;
    const uid = e.writerUid, src = e.source, ret = e.ret, repeat = e.repeat;
    if (!isStr(timeNs) || !isNum(seq) || !isNum(pid) || !isNum(tid) || !Array.isArray(args) || !isStr(ip) || !isStr(callSite)) return false;
    if (!isNum(errno)) return false;
    if ((ret !== undefined && !isStr(ret)) || (repeat !== undefined && !isNum(repeat))) return false;
    for (let i = 0; i < args.length; i++) if (!isStr(args[i])) return false; // holes, numbers: JSON.stringify's rules

    if (time !== tTime) {
      if (!isStr(time)) return false;
      timeSeg = bytes('{"time":' + quoteJson(time) + ',"timeNs":');
      tTime = time;
    }
    if (host !== rHost || bootId !== rBoot || ringPid !== rRingPid || ringStartNs !== rStart) {
      if (!isStr(host) || !isStr(bootId) || !isNum(ringPid) || !isStr(ringStartNs)) return false;
      ringSeg = bytes(',"host":' + quoteJson(host) + ',"bootId":' + quoteJson(bootId) + ',"ringPid":' + ringPid + ',"ringStartNs":' + quoteJson(ringStartNs) + ',"seq":');
      rHost = host;
      rBoot = bootId;
      rRingPid = ringPid;
      rStart = ringStartNs;
    }
    if (comm !== cComm || exe !== cExe) {
      if (!isStr(comm) || !isStr(exe)) return false;
      commText = ',"comm":' + quoteJson(comm) + ',"exe":' + quoteJson(exe) + ',"syscall":';
      cComm = comm;
      cExe = exe;
      sysSegs.clear();
      sName = UNSET;
    }
    if (syscall !== sName || nr !== sNr || arch !== sArch) {
      if (!isStr(syscall) || !isNum(nr) || !isStr(arch)) return false;
      // A ring's events alternate between a few syscalls: keep each one's
      // run (with comm and exe before it, one copy instead of two).
      let seg = sysSegs.get(syscall);
      if (!seg || seg.nr !== nr || seg.arch !== arch) {
        if (sysSegs.size >= 1024) sysSegs.clear();
        seg = { nr, arch, bytes: bytes(commText + quoteJson(syscall) + ',"nr":' + nr + ',"arch":' + quoteJson(arch) + ',"args":[') };
        sysSegs.set(syscall, seg);
      }
      sysSeg = seg.bytes;
      sName = syscall;
      sNr = nr;
      sArch = arch;
    }
    if (mode !== mMode || cont !== wCont || pod !== wPod || ns !== wNs || work !== wWork || hash !== wHash || id !== wId || uid !== wUid || src !== wSrc) {
      if (!isStr(mode) || !isStr(cont) || !isStr(pod) || !isStr(ns) || !isStr(work) || !isStr(hash) || !isStr(id) || !isNum(uid) || !isStr(src)) return false;
      tailSeg = bytes(
        ',"mode":' + quoteJson(mode) + ',"containerId":' + quoteJson(cont) + ',"pod":' + quoteJson(pod) + ',"namespace":' + quoteJson(ns) + ',"workload":' + quoteJson(work) +
          ',"policyHash":' + quoteJson(hash) + ',"identity":' + quoteJson(id) + ',"writerUid":' + uid + ',"source":' + quoteJson(src),
      );
      mMode = mode;
      wCont = cont;
      wPod = pod;
      wNs = ns;
      wWork = work;
      wHash = hash;
      wId = id;
      wUid = uid;
      wSrc = src;
    }

    // action, outcome and mode come from small tables: same strings again and again.
    if (action !== aAction || outcome !== aOutcome) {
      if (!isStr(action) || !isStr(outcome)) return false;
      actionSeg = bytes(',"action":' + quoteJson(action) + ',"outcome":' + quoteJson(outcome) + ',"errno":');
      aAction = action;
      aOutcome = outcome;
    }
    // The most this line can take: constant and cached parts as they are,
    // strings at 6 bytes a char (\u00XX) plus quotes, numbers at 24 bytes.
    let most = timeSeg.length + ringSeg.length + sysSeg.length + actionSeg.length + tailSeg.length + 256;
    most += 6 * (timeNs.length + ip.length + callSite.length) + 6;
    for (let i = 0; i < args.length; i++) most += 6 * (args[i] as string).length + 3;
    if (ret !== undefined) most += 6 * (ret as string).length + 2;
    room(most);
    let o = off;
    o = put(timeSeg, o);
    o = str(timeNs, o);
    o = put(ringSeg, o);
    o = num(seq, o);
    o = put(K_PID, o);
    o = num(pid, o);
    o = put(K_TID, o);
    o = num(tid, o);
    o = put(sysSeg, o);
    for (let i = 0; i < args.length; i++) {
      if (i > 0) buf[o++] = 0x2c; // ,
      o = str(args[i] as string, o);
    }
    o = put(K_ARGS_END, o);
    o = str(ip, o);
    o = put(K_CALLSITE, o);
    o = str(callSite, o);
    // action..source is one copy while action, outcome, errno and the tail
    // are as before (errno is usually the same for a ring's events).
    if (actionSeg !== xAction || tailSeg !== xTail || errno !== xErrno) {
      const e = '' + (errno as number);
      const m = new Uint8Array(actionSeg.length + e.length + tailSeg.length);
      m.set(actionSeg, 0);
      for (let i = 0; i < e.length; i++) m[actionSeg.length + i] = e.charCodeAt(i);
      m.set(tailSeg, actionSeg.length + e.length);
      xSeg = m;
      xAction = actionSeg;
      xTail = tailSeg;
      xErrno = errno;
    }
    o = put(xSeg, o);
    if (ret !== undefined) {
      o = put(K_RET, o);
      o = str(ret as string, o);
    }
    if (repeat !== undefined) {
      o = put(K_REPEAT, o);
      o = num(repeat as number, o);
    }
    buf[o++] = 0x7d; // }
    buf[o++] = 0x0a;
    off = o;
    return true;
  }

  return {
    encode(events) {
      off = 0;
      for (const ev of events) {
        const start = off;
        if (event(ev)) continue;
        off = start;
        const line = JSON.stringify(ev) + '\n';
        room(3 * line.length);
        off += buf.write(line, off, 'utf8');
      }
      return buf.subarray(0, off);
    },
  };
}
