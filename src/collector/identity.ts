/**
 * identity.ts - who really writes a ring?  The spool is world-writable, so
 * a ring's RingMeta (pid, exe, comm, cgroup, pod...) is only what its writer
 * claims.  The collector runs as root and can ask the kernel instead:
 *
 *   - the owner uid of the file it mapped (fstat of the descriptor: a
 *     process can only create files as its own fsuid);
 *   - which live processes map that inode (/proc/PID/maps: the preload maps
 *     its ring for the life of the process, forked children inherit it);
 *   - what those processes are (/proc/PID/status uids, PPid, NSpid; the
 *     pid namespace link; /proc/PID/exe; /proc/PID/cgroup; /proc/PID/comm);
 *   - the kernel's boot id.
 *
 * `verifyRing` compares the claims with that view (docs/security.md, "The
 * spool"):
 *
 *   verified    the writer maps the ring, owns it (or the file is root's:
 *               a process that dropped privileges after creating it), and
 *               every claim the kernel can check agrees: pid (the claimed
 *               process, or a forked child of it, maps the ring), exe,
 *               container id / pod uid from the cgroup, comm, boot id, and
 *               a pod name only for a process that is in a pod.  Supervisor
 *               rings (RingMeta.source = SUPERVISOR): the supervisor
 *               (writer_pid) maps it and owns it, and the claimed pid is
 *               the supervisor or one of its descendants with those facts.
 *   forged      some claim disagrees with what the kernel shows (a live
 *               process of another uid, another exe, another container,
 *               another boot...).
 *   unverified  nothing contradicts the claims but no live writer could be
 *               tied to them (the process exited before the collector saw
 *               it, or nobody ever mapped the file).
 *
 * A verdict is taken once per ring and kept: a ring verified while its
 * process was alive stays verified after the process exits.
 */
import { readFile, readdir, readlink } from 'node:fs/promises';
import { basename } from 'node:path';
import { parseCgroup, toBig, type DecodedRingMeta } from '../events/enrich.js';
import type { IdentityName } from '../events/types.js';

/** RingMeta.source / Violation.source values (proto Source). */
export const SOURCE_SUPERVISOR = 2;

/** What the kernel says about one process (pids in the collector's namespace). */
export interface ProcFacts {
  pid: number;
  ppid: number;
  /** real, effective, saved, fs uid */
  uids: number[];
  /** pid in its own (innermost) namespace */
  nsPid: number;
  /** inode of its pid namespace */
  pidNs: string;
  exe: string;
  cgroup: string;
  comm: string;
}

export interface Verdict {
  identity: Exclude<IdentityName, 'unknown'>;
  /** One line: why (for the log and tests). */
  reason: string;
  /** The live process that maps and writes the ring, when one was found. */
  writer?: ProcFacts;
  /** The process the events are about (the writer, or for supervisor rings the supervised one). */
  subject?: ProcFacts;
}

/** The ring as the collector opened it: file facts from fstat, claims from the header. */
export interface RingClaims {
  uid: number;
  /** mapKey() of the ring file. */
  mapKey: string;
  ownerPid: number;
  meta?: DecodedRingMeta & { source?: number | string; writerPid?: number };
}

/** `${major}:${minor}:${inode}` of a file (fstat): one ring under two names is read once. */
export const fileKey = (major: number, minor: number, ino: number | string): string => `${major}:${minor}:${ino}`;

/**
 * `${inode}:${file name}` of a mapped ring, as /proc/PID/maps names it.  Not
 * the device: on overlayfs maps shows the underlying device while fstat shows
 * the overlay's.  Inode and name are enough here: they are only compared
 * with the maps of the process the ring claims, and a process can only map
 * what it can open itself.
 */
export const mapKey = (ino: number | string, path: string): string => `${ino}:${basename(path.replace(/ \(deleted\)$/, ''))}`;

const MAPS_LINE = /^[0-9a-f]+-[0-9a-f]+ \S+ [0-9a-f]+ [0-9a-f]+:[0-9a-f]+ (\d+)\s+(.*)$/;

/** Map keys of the sigsys rings a maps text names. */
export function ringKeysOfMaps(text: string): string[] {
  const out: string[] = [];
  if (!text.includes('sigsys-')) return out;
  for (const line of text.split('\n')) {
    if (!line.includes('sigsys-')) continue;
    const m = MAPS_LINE.exec(line);
    if (!m) continue;
    const key = mapKey(m[1]!, m[2]!);
    if (/:sigsys-.*\.ring$/.test(key)) out.push(key);
  }
  return out;
}

function nsInode(link: string): string {
  const m = /\[(\d+)\]/.exec(link);
  return m ? m[1]! : link;
}

/** /proc/PID facts, or undefined when the process is gone (or unreadable). */
export async function readProc(pid: number, proc = '/proc'): Promise<ProcFacts | undefined> {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    const status = await readFile(`${proc}/${pid}/status`, 'utf8');
    const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '';
    const uids = field('Uid').split(/\s+/).filter(Boolean).map(Number);
    const nspids = field('NSpid').split(/\s+/).filter(Boolean).map(Number);
    const [exe, cgroup, comm, ns] = await Promise.all([
      readlink(`${proc}/${pid}/exe`).catch(() => ''),
      readFile(`${proc}/${pid}/cgroup`, 'utf8').catch(() => ''),
      readFile(`${proc}/${pid}/comm`, 'utf8').catch(() => ''),
      readlink(`${proc}/${pid}/ns/pid`).catch(() => ''),
    ]);
    return {
      pid,
      ppid: Number(field('PPid')) || 0,
      uids,
      nsPid: nspids.length ? nspids[nspids.length - 1]! : pid,
      pidNs: nsInode(ns),
      exe: exe.replace(/ \(deleted\)$/, ''),
      cgroup,
      comm: comm.replace(/\n$/, ''),
    };
  } catch {
    return undefined;
  }
}

/** Does /proc/PID/maps map the file `key`? */
export async function mapsFile(pid: number, key: string, proc = '/proc'): Promise<boolean> {
  try {
    return ringKeysOfMaps(await readFile(`${proc}/${pid}/maps`, 'utf8')).includes(key);
  } catch {
    return false;
  }
}

export interface VerifyContext {
  /** Our pid namespace inode. */
  ownPidNs?: string;
  /** The kernel's boot id (/proc/sys/kernel/random/boot_id). */
  bootId?: string;
  /** Pids (ours) of the live processes mapping the file, from a full /proc scan; undefined = no scan yet. */
  mappers?: number[];
  proc?: string;
  /** Facts by pid, shared by the verifications of one pass. */
  cache?: Map<number, ProcFacts | undefined>;
}

/** uid check: the owner of the file is one of the writer's uids, or root. */
export const ownsFileOf = (uid: number, p: ProcFacts): boolean => uid === 0 || p.uids.includes(uid);

async function facts(ctx: VerifyContext, pid: number): Promise<ProcFacts | undefined> {
  const cache = ctx.cache ?? (ctx.cache = new Map());
  if (cache.has(pid)) return cache.get(pid);
  const f = await readProc(pid, ctx.proc);
  cache.set(pid, f);
  return f;
}

/** Is `pid` (ours) `ancestor` or a descendant of it?  PPid chain, bounded. */
async function descends(ctx: VerifyContext, pid: number, ancestor: number): Promise<boolean> {
  let p = pid;
  for (let i = 0; i < 64 && p > 1; i++) {
    if (p === ancestor) return true;
    const f = await facts(ctx, p);
    if (!f) return false;
    p = f.ppid;
  }
  return p === ancestor;
}

function sameContainer(a: ProcFacts, b: ProcFacts): boolean {
  const x = parseCgroup(a.cgroup);
  const y = parseCgroup(b.cgroup);
  return x.containerId === y.containerId && x.podUid === y.podUid;
}

/** Does `p` contradict `meta` only in what an execve changes (exe, comm)? */
function execSince(meta: RingClaims['meta'], p: ProcFacts): boolean {
  if (!meta) return false;
  return disagreement({ ...meta, exe: '', comm: '' }, p, undefined) === undefined;
}

/** First claim of `meta` that `p` contradicts, or undefined. */
function disagreement(meta: RingClaims['meta'], p: ProcFacts, bootId: string | undefined): string | undefined {
  if (!meta) return undefined;
  if (meta.exe && p.exe && meta.exe !== p.exe) return `claims exe ${meta.exe} but pid ${p.pid} runs ${p.exe}`;
  const claimed = parseCgroup(meta.cgroup);
  const actual = parseCgroup(p.cgroup);
  // A claim without a container (e.g. a private cgroup namespace shows "0::/")
  // says less than the kernel, not something else.
  if (claimed.containerId && claimed.containerId !== actual.containerId) {
    return `claims container ${claimed.containerId} but pid ${p.pid} is in ${actual.containerId || 'no container'}`;
  }
  if (claimed.podUid && claimed.podUid !== actual.podUid) {
    return `claims pod uid ${claimed.podUid} but pid ${p.pid} is in ${actual.podUid ? `pod ${actual.podUid}` : 'no pod'}`;
  }
  if ((meta.pod || meta.namespace) && !actual.podUid) {
    return `claims pod ${meta.namespace ? `${meta.namespace}/` : ''}${meta.pod ?? ''} but pid ${p.pid} is in no pod`;
  }
  if (meta.comm && p.comm && meta.comm !== p.comm && meta.comm !== basename(p.exe).slice(0, 15)) {
    return `claims comm ${meta.comm} but pid ${p.pid} is ${p.comm}`;
  }
  if (meta.bootId && bootId && meta.bootId !== bootId) return `claims boot id ${meta.bootId}, not this kernel's`;
  return undefined;
}

/**
 * The verdict for one ring.  Cheap path: the claimed writer (same pid
 * namespace) maps the file - no scan of /proc needed.  Otherwise the caller
 * passes `ctx.mappers` from a full scan; without it the answer is undefined
 * ("ask again after a scan").
 */
export async function verifyRing(ring: RingClaims, ctx: VerifyContext): Promise<Verdict | undefined> {
  const meta = ring.meta;
  const key = ring.mapKey;
  const claimedPid = meta?.pid || ring.ownerPid;
  const supervisor = Number(meta?.source ?? 0) === SOURCE_SUPERVISOR || meta?.source === 'SOURCE_SUPERVISOR';
  const writerPid = supervisor ? (meta?.writerPid ?? 0) : claimedPid;
  const claimNs = meta?.pidNs !== undefined && toBig(meta.pidNs) !== 0n ? toBig(meta.pidNs).toString() : ctx.ownPidNs;
  const sameNs = !claimNs || claimNs === ctx.ownPidNs;
  const forged = (reason: string, writer?: ProcFacts): Verdict => ({ identity: 'forged', reason, ...(writer ? { writer } : {}) });

  if (meta?.bootId && ctx.bootId && meta.bootId !== ctx.bootId) return forged(`claims boot id ${meta.bootId}, not this kernel's`);
  if (supervisor && !writerPid) return forged('supervisor ring without a writer pid');

  let mappers = ctx.mappers;
  if (sameNs && writerPid > 0 && (await mapsFile(writerPid, key, ctx.proc))) mappers = [...new Set([writerPid, ...(mappers ?? [])])];
  if (!mappers) return undefined;

  if (mappers.length === 0) {
    // Nobody maps it.  A claimed pid that is alive and belongs to another
    // user cannot have created this file.
    if (sameNs && claimedPid > 0) {
      const p = await facts(ctx, claimedPid);
      if (p && !ownsFileOf(ring.uid, p)) return forged(`claims pid ${claimedPid} (uid ${p.uids[0]}) but the file is owned by uid ${ring.uid}`);
    }
    return { identity: 'unverified', reason: 'no live process maps it' };
  }

  // The writer among the mappers: the claimed writer pid in the claimed namespace.
  const mapFacts = (await Promise.all(mappers.map((pid) => facts(ctx, pid)))).filter((f): f is ProcFacts => !!f);
  let writer = mapFacts.find((f) => (sameNs ? f.pid === writerPid : f.nsPid === writerPid && f.pidNs === claimNs));
  if (!writer && !supervisor && sameNs) {
    // The creator exec'd (dropping the mapping) or exited; a forked child
    // still maps it.  A live creator must own the file and be in the
    // child's container: every process descends from pid 1, which would
    // otherwise vouch for anybody.
    const creator = await facts(ctx, claimedPid);
    for (const f of mapFacts) {
      if (creator && !(ownsFileOf(ring.uid, creator) && sameContainer(creator, f))) continue;
      if (await descends(ctx, f.pid, claimedPid)) writer = f;
    }
  }
  if (!writer) {
    const odd = mapFacts.find((f) => !ownsFileOf(ring.uid, f) || disagreement(supervisor ? undefined : meta, f, ctx.bootId));
    if (odd) {
      return forged(
        `claims ${supervisor ? 'writer' : ''} pid ${writerPid} but is mapped by pid ${odd.pid} (${odd.exe || '?'}, uid ${odd.uids[0]})` +
          (disagreement(supervisor ? undefined : meta, odd, ctx.bootId) ? `: ${disagreement(supervisor ? undefined : meta, odd, ctx.bootId)}` : ''),
        odd,
      );
    }
    return { identity: 'unverified', reason: `the processes mapping it cannot be tied to pid ${writerPid}` };
  }
  if (!ownsFileOf(ring.uid, writer)) return forged(`file owned by uid ${ring.uid}, its writer pid ${writer.pid} runs as uid ${writer.uids[0]}`, writer);

  let subject = writer;
  if (supervisor) {
    // The supervised process: the supervisor itself or one of its descendants.
    let p: ProcFacts | undefined;
    if (sameNs) p = await facts(ctx, claimedPid);
    else {
      // Another pid namespace: find the claimed pid among the supervisor's namespace.
      const pids = (await readdir(ctx.proc ?? '/proc').catch(() => [] as string[])).filter((n) => /^\d+$/.test(n)).map(Number);
      for (const pid of pids) {
        const f = await facts(ctx, pid);
        if (f && f.pidNs === claimNs && f.nsPid === claimedPid) {
          p = f;
          break;
        }
      }
    }
    if (!p) return { identity: 'unverified', reason: `supervisor ${writer.pid} maps it; the supervised pid ${claimedPid} is gone`, writer };
    if (!(await descends(ctx, p.pid, writer.pid))) return forged(`supervisor ${writer.pid} claims pid ${claimedPid}, which is not its descendant`, writer);
    subject = p;
  }
  const why = disagreement(meta, subject, ctx.bootId);
  if (why && supervisor && subject !== writer && execSince(meta, subject)) {
    // The supervisor described P when it created the ring; P has exec'd
    // since (a fork of node that became sh): its ring for the new image
    // comes later.  Only exe and comm differ, which an exec changes, so the
    // claims cannot be checked any more - they are not contradicted.
    return { identity: 'unverified', reason: `supervisor ${writer.pid} maps it; pid ${subject.pid} has exec'd since (${why})`, writer };
  }
  if (why) return forged(why, writer);
  return { identity: 'verified', reason: `mapped by pid ${writer.pid}`, writer, subject };
}

/** The kernel's boot id, once. */
let bootIdCache: Promise<string | undefined> | undefined;
export function kernelBootId(proc = '/proc'): Promise<string | undefined> {
  bootIdCache ??= readFile(`${proc}/sys/kernel/random/boot_id`, 'utf8').then(
    (s) => s.trim(),
    () => undefined,
  );
  return bootIdCache;
}
