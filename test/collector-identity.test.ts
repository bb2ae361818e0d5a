/**
 * verifyRing (src/collector/identity.ts) against real processes: a live
 * sigsys-ringfill maps its ring, and the claims of its RingMeta are varied
 * around what /proc says of it - handler rings (the claimed pid maps the
 * ring) and supervisor rings (RingMeta.source = SUPERVISOR: writer_pid maps
 * it, the claimed pid is the supervisor or one of its descendants).
 */
import { spawn } from 'node:child_process';
import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kernelBootId, mapKey, ownsFileOf, readProc, verifyRing, type RingClaims } from '../src/collector/identity.js';
import { ownPidNs } from '../src/collector/liveness.js';
import { ringfillLive, tool, until } from './collector-helpers.js';

let dir: string;
let live: Awaited<ReturnType<typeof ringfillLive>>;
let key: string;
let cgroup: string;
let ctx: { ownPidNs?: string; bootId?: string };

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sigsys-ident-'));
  live = await ringfillLive(dir, 1);
  key = mapKey(statSync(live.path).ino, live.path);
  cgroup = readFileSync(`/proc/${live.child.pid}/cgroup`, 'utf8');
  ctx = { ownPidNs: await ownPidNs(), bootId: await kernelBootId() };
});
afterAll(async () => {
  live.go();
  await live.done();
  await rm(dir, { recursive: true, force: true });
});

const W = () => live.child.pid!;
const truth = () => ({ exe: tool('sigsys-ringfill'), comm: 'sigsys-ringfill', cgroup });

describe('verifyRing', () => {
  type Case = [name: string, claims: () => RingClaims, identity: 'verified' | 'forged' | 'unverified', reason: RegExp];
  const ring = (meta: RingClaims['meta'], uid = 0): RingClaims => ({ uid, mapKey: key, ownerPid: W(), meta });
  const cases: Case[] = [
    ['handler ring whose pid maps it and whose claims are true', () => ring({ pid: W(), ...truth() }), 'verified', /mapped by pid/],
    ['handler ring claiming another exe', () => ring({ pid: W(), ...truth(), exe: '/usr/sbin/sshd' }), 'forged', /claims exe \/usr\/sbin\/sshd/],
    ['handler ring claiming a container its writer is not in', () => ring({ pid: W(), ...truth(), cgroup: `0::/docker/${'ab'.repeat(32)}` }), 'forged', /claims container/],
    ['handler ring claiming a pod while its writer is in none', () => ring({ pid: W(), ...truth(), pod: 'api', namespace: 'prod' }), 'forged', /claims pod prod\/api/],
    ['handler ring claiming another comm', () => ring({ pid: W(), ...truth(), comm: 'sshd' }), 'forged', /claims comm sshd/],
    ['handler ring claiming another boot', () => ring({ pid: W(), ...truth(), bootId: 'not-this-boot' }), 'forged', /boot id/],
    ['handler ring owned by a uid its writer does not have', () => ring({ pid: W(), ...truth() }, 54321), 'forged', /owned by uid 54321/],
    ['handler ring claiming pid 1, mapped by someone else', () => ring({ pid: 1, ...truth() }, 54321), 'forged', /claims\s+pid 1 but is mapped by pid/],
    ['supervisor ring: the supervisor maps it and is the supervised pid', () => ring({ pid: W(), source: 2, writerPid: W(), ...truth() }), 'verified', /mapped by pid/],
    ['supervisor ring claiming to supervise pid 1 (not its descendant)', () => ring({ pid: 1, source: 2, writerPid: W(), exe: '/sbin/init' }), 'forged', /not its descendant/],
    ['supervisor ring without a writer pid', () => ring({ pid: W(), source: 2 }), 'forged', /without a writer pid/],
    ['supervisor ring whose supervised pid is gone', () => ring({ pid: 4_000_000, source: 2, writerPid: W(), ...truth() }), 'unverified', /is gone/],
  ];

  it.each(cases)('%s', async (_n, claims, identity, reason) => {
    const v = await verifyRing(claims(), { ...ctx, mappers: [W()] });
    expect(v).toMatchObject({ identity, reason: expect.stringMatching(reason) });
  });

  it('supervisor ring whose supervised process exec\'d since it was described (a fork of node that became sleep): unverified, not forged; another container still forged', async () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    try {
      await until('the child to run sleep', () => readlinkSync(`/proc/${child.pid}/exe`).endsWith('/sleep') || undefined);
      const me = readlinkSync('/proc/self/exe');
      const claims = (extra: Partial<NonNullable<RingClaims['meta']>> = {}): RingClaims => ({
        uid: 0, mapKey: key, ownerPid: child.pid!,
        meta: { pid: child.pid!, source: 2, writerPid: process.pid, exe: me, comm: 'node', cgroup: readFileSync('/proc/self/cgroup', 'utf8'), ...extra },
      });
      expect(await verifyRing(claims(), { ...ctx, mappers: [process.pid] })).toMatchObject({ identity: 'unverified', reason: expect.stringMatching(/has exec'd since/) });
      expect(await verifyRing(claims({ cgroup: `0::/docker/${'cd'.repeat(32)}` }), { ...ctx, mappers: [process.pid] })).toMatchObject({ identity: 'forged' });
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('a ring nobody maps: unverified, unless it claims a live process of another uid (forged)', async () => {
    const gone = { uid: 0, mapKey: '1:sigsys-1-1.ring', ownerPid: 4_000_000, meta: { pid: 4_000_000 } };
    expect(await verifyRing(gone, { ...ctx, mappers: [] })).toMatchObject({ identity: 'unverified' });
    const initOfOther = { uid: 54321, mapKey: '1:sigsys-1-1.ring', ownerPid: 1, meta: { pid: 1 } };
    expect(await verifyRing(initOfOther, { ...ctx, mappers: [] })).toMatchObject({ identity: 'forged', reason: expect.stringMatching(/claims pid 1/) });
  });

  it('without a full scan, only the cheap check answers: the claimed writer maps it, or "ask again"', async () => {
    expect(await verifyRing(ring0(), ctx)).toMatchObject({ identity: 'verified' });
    expect(await verifyRing({ ...ring0(), meta: { pid: 4_000_000 } }, ctx)).toBeUndefined();
  });

  it('readProc: uids, parent, namespaces, exe, cgroup and comm of a live process; undefined once gone', async () => {
    const p = (await readProc(W()))!;
    expect(p).toMatchObject({ pid: W(), ppid: process.pid, exe: tool('sigsys-ringfill'), comm: 'sigsys-ringfill', cgroup, pidNs: ctx.ownPidNs, nsPid: W() });
    expect(ownsFileOf(process.getuid!(), p)).toBe(true);
    expect(await readProc(4_000_000)).toBeUndefined();
  });
});

function ring0(): RingClaims {
  return { uid: 0, mapKey: key, ownerPid: W(), meta: { pid: W(), ...truth() } };
}
