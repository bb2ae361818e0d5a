/**
 * The spool against an unprivileged neighbour (issue 14, docs/security.md
 * "The spool").  The test creates a real second account with useradd; every
 * hostile file is made by a process running as that user, writing only into
 * the world-writable spool.  `sigsys collect` runs as a real root daemon
 * process with NDJSON and Prometheus sinks; the aggregator folds exactly the
 * bytes the Kafka sink would send (the Kafka value codec).
 *
 *   - forged identity: rings claiming pid 1, sshd, another pod, another boot
 *     never show up as that identity in NDJSON, Prometheus or the aggregator
 *     (report and --suggest), and the writer's uid is on every event;
 *   - 10,000 junk rings from the neighbour while a real preloaded workload
 *     writes: every real event is delivered, the excess is counted and
 *     logged once, the collector holds few file descriptors;
 *   - a FIFO, a directory, a socket and a symlink under the lock's name and
 *     under ring names: the collector starts or refuses with one line, and
 *     SIGTERM ends it (bounded wait) with one line;
 *   - forged ring headers (millions of reserved tickets, a huge drop count)
 *     leave lag, drops and torn counts sane.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, renameSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { ViolationEvent } from '../src/events/types.js';
import { createAggregator } from '../src/aggregate/aggregator.js';
import { decodeViolation, encodeViolation } from '../src/kafka/codec.js';
import { preloadPath } from '../src/native/loader.js';
import { ensureDist, patch, RING, root, spawnCli, tool, u32, u64, until, type CliProcess } from './collector-helpers.js';
import { freePort } from './services/prometheus/prometheus.js';

// ---- the neighbour: a real unprivileged account, created and removed here ----

const USER = `sigsysnb${process.pid % 100000}`;
let uid = 0;
let gid = 0;
let work: string; // 0755, root's: tools the neighbour may run
let main: string;

beforeAll(async () => {
  spawnSync('userdel', [USER], { stdio: 'ignore' }); // a leftover of a killed run
  execFileSync('useradd', ['--system', '--no-create-home', '--shell', '/usr/sbin/nologin', USER]);
  uid = Number(execFileSync('id', ['-u', USER], { encoding: 'utf8' }).trim());
  gid = Number(execFileSync('id', ['-g', USER], { encoding: 'utf8' }).trim());
  work = mkdtempSync(join(tmpdir(), 'sigsys-spoolsec-'));
  chmodSync(work, 0o755);
  // The neighbour runs its own copy of the ring producer tool.
  copyFileSync(tool('sigsys-ringfill'), join(work, 'sigsys-ringfill'));
  chmodSync(join(work, 'sigsys-ringfill'), 0o755);
  main = await ensureDist();
}, 120_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
  spawnSync('pkill', ['-KILL', '-u', USER], { stdio: 'ignore' });
  spawnSync('userdel', [USER], { stdio: 'ignore' });
});

let dir: string;
let spool: string;
let out: string;
const procs: CliProcess[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(work, 'case-'));
  chmodSync(dir, 0o755);
  spool = join(dir, 'spool');
  mkdirSync(spool);
  chmodSync(spool, 0o1777);
  out = join(dir, 'events.ndjson');
});
afterEach(() => {
  for (const p of procs.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Run a command as the neighbour, to completion. */
function asNeighbour(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { uid, gid, encoding: 'utf8', cwd: '/' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} as ${USER}: exit ${r.status}: ${r.stderr}`);
  return r.stdout;
}

/** sigsys-ringfill as the neighbour, with claims; `live` keeps the ring mapped until go(). */
async function neighbourRing(count: number, claims: Record<string, string | number>, live = false, into = spool) {
  const args = [into, String(count), ...Object.entries(claims).flatMap(([k, v]) => ['--claim', `${k}=${v}`])];
  if (live) args.push('--wait-go');
  const child = spawn(join(work, 'sigsys-ringfill'), args, { uid, gid, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines: string[] = [];
  createInterface({ input: child.stdout! }).on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const path = await until('the neighbour ring', () => lines[0]);
  return {
    path,
    pid: child.pid!,
    go: () => child.stdin!.write('go\n'),
    done: async () => {
      expect(await exited).toBe(0);
    },
  };
}

function collect(args: string[] = []): CliProcess {
  const p = spawnCli(main, ['collect', '--spool', spool, '--out', out, '--no-remove', ...args], { env: { SIGSYS_LOG_LEVEL: 'info' } });
  procs.push(p);
  return p;
}
const started = (c: CliProcess) => until('the collector to start', () => /"msg":"collecting"/.test(c.stderr()) || undefined);
const metricsOf = (port: number) => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text(), () => '');
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
function events(): ViolationEvent[] {
  if (!existsSync(out)) return [];
  return readFileSync(out, 'utf8').split('\n').filter((l) => l.endsWith('}')).map((l) => JSON.parse(l) as ViolationEvent);
}
/** SIGTERM, then a bounded wait: the test fails if the collector is still there after 5 s. */
async function stopWithin5s(c: CliProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  const before = c.stderr().length;
  c.child.kill('SIGTERM');
  const res = await Promise.race([c.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000).unref())]);
  if (res === 'hung') throw new Error(`the collector did not exit within 5 s of SIGTERM; stderr:\n${c.stderr()}`);
  const after = c.stderr().slice(before).trim().split('\n').filter(Boolean);
  expect(after).toEqual([expect.stringMatching(/"msg":"stopped/)]);
  return res;
}

const OTHER_CONTAINER = 'c0ffee'.repeat(10) + 'abcd';
const OTHER_POD_CGROUP = `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1b2c3d4e_0000_4000_8000_000000000001.slice/cri-containerd-${OTHER_CONTAINER}.scope\n`;
const DEAD_PID = 4_000_000; // above any pid_max default: never alive

describe('forged identity', () => {
  type Case = [name: string, claims: Record<string, string | number>, live: boolean, identity: 'forged' | 'unverified', claimed: string[]];
  const cases: Case[] = [
    ['a ring claiming pid 1 as sshd, written and left', { pid: 1, exe: '/usr/sbin/sshd', comm: 'sshd' }, false, 'forged', ['/usr/sbin/sshd', 'sshd']],
    ['a live ring claiming to be sshd', { exe: '/usr/sbin/sshd', comm: 'sshd' }, true, 'forged', ['/usr/sbin/sshd', 'sshd']],
    [
      'a live ring claiming another pod (kube-system/kube-apiserver-master)',
      { cgroup: OTHER_POD_CGROUP, pod: 'kube-apiserver-master', namespace: 'kube-system' },
      true,
      'forged',
      [OTHER_CONTAINER, 'kube-apiserver-master', 'kube-system/kube-apiserver-master'],
    ],
    ['a ring claiming another boot of the host', { boot: '00000000-0000-4000-8000-000000000000', exe: '/usr/sbin/sshd' }, false, 'forged', ['/usr/sbin/sshd']],
    ['a ring claiming sshd under a pid that is not alive', { pid: DEAD_PID, exe: '/usr/sbin/sshd', comm: 'sshd' }, false, 'unverified', ['/usr/sbin/sshd']],
    [
      'a ring claiming another pod, its writer gone',
      { pid: DEAD_PID, cgroup: OTHER_POD_CGROUP, pod: 'kube-apiserver-master', namespace: 'kube-system' },
      false,
      'unverified',
      [OTHER_CONTAINER, 'kube-apiserver-master'],
    ],
  ];

  it.each(cases)('%s: never that identity in NDJSON, Prometheus or the aggregator; the writer uid is on every event', async (_n, claims, live, identity, claimed) => {
    let livePid = -1;
    // A live writer is looked at while it maps its ring; any other ring is
    // written and left before the collector starts, so it is never seen alive.
    const nb = live ? undefined : await neighbourRing(5, claims);
    await nb?.done();
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    await started(c);
    if (live) {
      const nb = await neighbourRing(5, claims, true);
      // The verdict is taken while the writer maps its ring.
      await until('the live ring to be judged', async () => metric(await metricsOf(port), 'sigsys_rings_identity', { identity }) === 1 || undefined);
      nb.go();
      await nb.done();
      livePid = nb.pid;
    }
    const mine = await until('the neighbour events in NDJSON', () => {
      const e = events().filter((x) => x.writerUid === uid);
      return e.length === 5 ? e : undefined;
    });

    // NDJSON: labelled, the workload is the writer's uid, the claims only where allowed.
    for (const e of mine) {
      expect(e).toMatchObject({ identity, writerUid: uid, workload: `${identity}:uid-${uid}` });
      if (identity === 'forged') {
        expect([e.exe, e.comm, e.pod, e.namespace, e.containerId]).not.toEqual(expect.arrayContaining(claimed));
        expect(e.pid).not.toBe(claims.pid ?? -1);
        expect(e.ringPid).not.toBe(claims.pid ?? -1);
        expect(e.ringPid).toBe(live ? livePid : 0); // the real writer, when one was seen
      }
    }

    // Prometheus: one series per writer uid, under its identity; no claimed name anywhere.
    // The sinks take a batch one after the other (NDJSON, then Prometheus),
    // so the lines can be on disk a moment before the counters move.
    const text = await until('the neighbour events in Prometheus', async () => {
      const t = await metricsOf(port);
      return t.split('\n').some((l) => l.startsWith('sigsys_violations_total{')) ? t : undefined;
    });
    const series = text.split('\n').filter((l) => l.startsWith('sigsys_violations_total{'));
    expect(series.length).toBeGreaterThan(0);
    for (const s of series) {
      expect(s).toContain(`workload="${identity}:uid-${uid}"`);
      expect(s).toContain(`identity="${identity}"`);
      for (const x of claimed) expect(s).not.toContain(x);
    }
    expect(metric(text, 'sigsys_rings_forged_total', { uid: String(uid) })).toBe(identity === 'forged' ? 1 : 0);

    // The aggregator, fed the bytes the Kafka sink sends: no row and no suggestion under a claimed name.
    const agg = createAggregator();
    for (const e of events()) agg.add(decodeViolation(encodeViolation(e)));
    const rows = agg.report().rows;
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.map((r) => [r.workload, r.identity])).toEqual(rows.map(() => [`${identity}:uid-${uid}`, identity]));
    expect(agg.suggestions()).toEqual([]);
    await stopWithin5s(c);
  });

  it('next to them, a real preloaded workload seen alive is verified: its own exe is its workload, and only it gets a suggestion', async () => {
    const policy = join(dir, 'default.policy');
    const comp = spawnCli(main, ['compile', join(root, 'deploy/profiles/default.json'), '-o', policy]);
    expect((await comp.exit).code).toBe(0);
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    await started(c);
    const go = join(dir, 'go');
    const env = { ...process.env, LD_PRELOAD: preloadPath(), SIGSYS_POLICY: policy, SIGSYS_SPOOL: spool };
    const wl = spawn(tool('sigsys-wl-calls'), [`wait=${go}`, 'acct=3'], { env, stdio: 'ignore' });
    const wlExit = new Promise<number | null>((r) => wl.once('exit', (code) => r(code)));
    const nb = await neighbourRing(4, { exe: tool('sigsys-wl-calls'), comm: 'sigsys-wl-calls', pid: 1 });
    await nb.done();
    await until('the workload ring verified', async () => metric(await metricsOf(port), 'sigsys_rings_identity', { identity: 'verified' }) === 1 || undefined);
    writeFileSync(go, '');
    expect(await wlExit).toBe(0);
    await until('7 events', () => events().length === 7 || undefined);
    const real = events().filter((e) => e.syscall === 'acct');
    expect(real).toHaveLength(3);
    for (const e of real) expect(e).toMatchObject({ identity: 'verified', writerUid: 0, workload: tool('sigsys-wl-calls'), exe: tool('sigsys-wl-calls'), pid: wl.pid });
    const agg = createAggregator();
    for (const e of events()) agg.add(decodeViolation(encodeViolation(e)));
    const sug = agg.suggestions();
    expect(sug.map((s) => [s.workload, s.syscalls[0]!.names])).toEqual([[tool('sigsys-wl-calls'), ['acct']]]);
    expect(agg.report().rows.find((r) => r.workload === tool('sigsys-wl-calls'))!.count).toBe(3); // the neighbour's 4 are not in it
    await stopWithin5s(c);
  });
});

describe('a neighbour cannot blind the collector', () => {
  it('10,000 junk rings from one user while a real preloaded workload writes: every real event is delivered, the excess counted and logged once', async () => {
    // The neighbour fills the spool: 5,000 small valid rings (one record
    // each: copies of one it made with the real producer code) and 5,000
    // files of garbage, all under ring names.
    const template = (await neighbourRing(1, {}, false)).path;
    asNeighbour(process.execPath, [
      '-e',
      `const fs=require('fs');const t=fs.readFileSync(${JSON.stringify(template)});` +
        `for(let i=1;i<5000;i++)fs.writeFileSync(${JSON.stringify(spool)}+'/sigsys-'+(1000000+i)+'-'+i+'.ring',t,{mode:0o600});` +
        `for(let i=0;i<5000;i++)fs.writeFileSync(${JSON.stringify(spool)}+'/sigsys-'+(2000000+i)+'-'+i+'.ring','junk '+i);`,
    ]);
    expect(readdirSync(spool)).toHaveLength(10000);
    const policy = join(dir, 'default.policy');
    const comp = spawnCli(main, ['compile', join(root, 'deploy/profiles/default.json'), '-o', policy]);
    expect((await comp.exit).code).toBe(0);
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']); // default cap: 1024 per uid
    await started(c);
    // SIGSYS_HOT=0: every call a full event (no hot-loop counting), so each ticket is one call.
    const env = { ...process.env, LD_PRELOAD: preloadPath(), SIGSYS_POLICY: policy, SIGSYS_SPOOL: spool, SIGSYS_HOT: '0' };
    const go = join(dir, 'go');
    const wl = spawn(tool('sigsys-wl-calls'), [`wait=${go}`, 'acct=400', 'fork', 'keyctl=100'], { env, stdio: 'ignore' });
    const wlExit = new Promise((r) => wl.once('exit', r));
    // Among 10,000 neighbour files the workload's ring is found and checked against /proc.
    await until('the workload ring verified', async () => metric(await metricsOf(port), 'sigsys_rings_identity', { identity: 'verified' }) === 1 || undefined, 60_000);
    writeFileSync(go, '');
    expect(await wlExit).toBe(0);
    const got = await until('every event of the real workload', () => {
      const e = events();
      return e.filter((x) => x.syscall === 'acct').length === 400 && e.filter((x) => x.syscall === 'keyctl').length === 200 ? e : undefined;
    }, 60_000);
    // The workload's ring (parent and forked child share it): every ticket once, in order.
    const real = got.filter((e) => e.exe === tool('sigsys-wl-calls'));
    expect(new Set(real.map((e) => [e.identity, e.workload].join(' ')))).toEqual(new Set([`verified ${tool('sigsys-wl-calls')}`]));
    expect(real.map((e) => e.seq)).toEqual(Array.from({ length: 600 }, (_, i) => i));
    const text = await until('the excess counted', async () => {
      const t = await metricsOf(port);
      return metric(t, 'sigsys_rings_over_cap_total', { scope: 'uid' }) === 10000 - 1024 ? t : undefined;
    });
    // 1024 of the neighbour's files were looked at: the valid ones are read (unverified), the rest rejected.
    const open = metric(text, 'sigsys_rings_identity', { identity: 'unverified' });
    expect(open + metric(text, 'sigsys_rings_rejected_total')).toBe(1024);
    expect(open).toBeGreaterThan(0);
    // Map and close: hundreds of rings mapped, a handful of descriptors.
    expect(readdirSync(`/proc/${c.child.pid}/fd`).length).toBeLessThan(64);
    expect(c.stderr().match(/has more than 1024 rings/g)).toHaveLength(1);
    await stopWithin5s(c);
  }, 120_000);
});

describe('non-regular files in the spool', () => {
  type Kind = 'fifo' | 'directory' | 'socket' | 'symlink';
  const make: Record<Kind, (path: string) => void> = {
    fifo: (p) => asNeighbour('mkfifo', [p]),
    directory: (p) => asNeighbour('mkdir', [p]),
    // process.exit skips the server's close(), which would unlink the socket file.
    socket: (p) => asNeighbour(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(p)}, () => process.exit(0))`]),
    symlink: (p) => asNeighbour('ln', ['-s', '/etc/shadow', p]),
  };
  const lockCases: [Kind, 'starts' | 'refuses'][] = [['fifo', 'starts'], ['socket', 'starts'], ['symlink', 'starts'], ['directory', 'refuses']];

  it.each(lockCases)('a %s planted as the lock: the collector %s with one line, and SIGTERM ends it', async (kind, outcome) => {
    make[kind](join(spool, '.sigsys-collect.lock'));
    const c = collect();
    if (outcome === 'refuses') {
      const res = await Promise.race([c.exit, new Promise<'hung'>((r) => setTimeout(() => r('hung'), 5000).unref())]);
      expect(res).toEqual({ code: 1, signal: null });
      expect(c.stderr().trim().split('\n')).toEqual([expect.stringMatching(/^sigsys: spool .*: \.sigsys-collect\.lock is a directory owned by uid \d+, not a collector lock file; remove it/)]);
      return;
    }
    await started(c);
    const warned = c.stderr().split('\n').filter((l) => l.includes('found under the lock name'));
    expect(warned).toHaveLength(1);
    // It really collects: a ring written now is delivered.
    const fill = spawnSync(tool('sigsys-ringfill'), [spool, '3'], { encoding: 'utf8' });
    expect(fill.status).toBe(0);
    await until('the ring to be delivered', () => events().length === 3 || undefined);
    expect((await stopWithin5s(c)).code).toBe(0);
  });

  it.each(['fifo', 'directory', 'socket', 'symlink'] as Kind[])('a %s under a ring name is skipped without opening; real rings are read; SIGTERM ends the collector', async (kind) => {
    make[kind](join(spool, 'sigsys-66-66.ring'));
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    await started(c);
    const fill = spawnSync(tool('sigsys-ringfill'), [spool, '3'], { encoding: 'utf8' });
    expect(fill.status).toBe(0);
    await until('the real ring to be delivered', () => events().length === 3 || undefined);
    const text = await metricsOf(port);
    expect(metric(text, 'sigsys_spool_entries_skipped_total', { kind })).toBe(1);
    expect(metric(text, 'sigsys_rings_rejected_total')).toBe(0);
    expect((await stopWithin5s(c)).code).toBe(0);
  });
});

describe('verdicts outlive the collector', () => {
  it('restarted after the writer exited, the collector labels re-sent events as it did while the writer was alive; a planted state directory is moved aside', async () => {
    asNeighbour('mkdir', [join(spool, '.sigsys-collect.d')]);
    const port = await freePort();
    const c1 = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    await started(c1);
    await until('the planted state directory moved aside', () => /moved \.sigsys-collect\.d \(not the collector's: uid \d+, mode 755\) aside/.test(c1.stderr()) || undefined);
    const cgroup = readFileSync('/proc/self/cgroup', 'utf8');
    const nb = await neighbourRing(5, { exe: join(work, 'sigsys-ringfill'), comm: 'sigsys-ringfill', cgroup }, true);
    await until('the ring verified', async () => metric(await metricsOf(port), 'sigsys_rings_identity', { identity: 'verified' }) === 1 || undefined);
    nb.go();
    await nb.done();
    await until('5 events', () => events().length === 5 || undefined);
    await stopWithin5s(c1);
    // As if the collector had died before storing the cursor: everything is sent again.
    await patch(nb.path, RING.off.cursor, u64(0));
    const c2 = collect();
    await started(c2);
    await until('5 events again', () => events().length === 10 || undefined);
    const all = events();
    expect(new Set(all.map((e) => `${e.identity} ${e.workload} ${e.host} ${e.ringPid} ${e.ringStartNs}`)).size).toBe(1);
    expect(all[0]).toMatchObject({ identity: 'verified', writerUid: uid, exe: join(work, 'sigsys-ringfill') });
    await stopWithin5s(c2);
  });
});

describe('sub-spools', () => {
  it('one collector reads per-tenant sub-spools; a tenant writes only into its own', async () => {
    const mine = join(dir, 'tenant-nb');
    const other = join(dir, 'tenant-root');
    mkdirSync(mine, { mode: 0o700 });
    execFileSync('chown', [`${uid}:${gid}`, mine]);
    mkdirSync(other, { mode: 0o700 });
    const c = collect(['--spool', mine, '--spool', other]);
    await started(c);
    const nb = await neighbourRing(3, {}, false, mine);
    await nb.done();
    expect(() => asNeighbour('touch', [join(other, 'sigsys-1-1.ring')])).toThrow(/Permission denied/);
    expect(spawnSync(tool('sigsys-ringfill'), [other, '2'], { encoding: 'utf8' }).status).toBe(0);
    await until('both tenants delivered', () => events().length === 5 || undefined);
    expect(events().filter((e) => e.writerUid === uid)).toHaveLength(3);
    expect(events().filter((e) => e.writerUid === 0)).toHaveLength(2);
    await stopWithin5s(c);
  });
});

describe('forged ring headers', () => {
  it('millions of reserved tickets and a huge drop count: lag, drops and torn stay sane, the scribble is counted once, real events flow', async () => {
    const port = await freePort();
    const c = collect(['--metrics-port', String(port), '--metrics-host', '127.0.0.1']);
    await started(c);
    // A neighbour ring whose claims are all true (so it is verified), then
    // a header it scribbles: 2^22 records (a sparse 1 GiB file), head
    // 4,194,287 tickets ahead of a cursor of 0, nothing committed, and
    // 2^40 drops.
    const cgroup = readFileSync('/proc/self/cgroup', 'utf8');
    const nb = await neighbourRing(0, { exe: join(work, 'sigsys-ringfill'), comm: 'sigsys-ringfill', cgroup }, true);
    await until('the neighbour ring verified', async () => metric(await metricsOf(port), 'sigsys_rings_identity', { identity: 'verified' }) === 1 || undefined);
    nb.go();
    await nb.done();
    // Built under a name the collector ignores, then renamed into place (as the preload does).
    const big = join(spool, '.sigsys-77-77.ring.tmp');
    asNeighbour(process.execPath, [
      '-e',
      `const fs=require('fs');fs.copyFileSync(${JSON.stringify(nb.path)},${JSON.stringify(big)});fs.truncateSync(${JSON.stringify(big)},${RING.headerSize}+${2 ** 22}*${RING.recordSize});`,
    ]);
    await patch(big, RING.off.recordCount, u32(2 ** 22));
    await patch(big, RING.off.head, u64(4_194_287));
    await patch(big, RING.off.dropped, u64(2n ** 40n));
    renameSync(big, join(spool, 'sigsys-77-77.ring'));
    await patch(nb.path, RING.off.head, u64(1000)); // the verified ring: 1000 of its 1024 reserved, never committed
    await patch(nb.path, RING.off.dropped, u64(2n ** 40n));
    // A real ring next to them.
    expect(spawnSync(tool('sigsys-ringfill'), [spool, '50'], { encoding: 'utf8' }).status).toBe(0);
    const seen: number[] = [];
    const text = await until('the scribbled tickets skipped', async () => {
      const t = await metricsOf(port);
      seen.push(metric(t, 'sigsys_spool_lag_events'));
      return metric(t, 'sigsys_corrupt_records_total', { reason: 'ring' }) === 2 && metric(t, 'sigsys_spool_lag_events') === 0 && events().length === 50 ? t : undefined;
    }, 30_000, 50).catch((err: Error) => {
      throw new Error(`${err.message}; collector stderr:\n${c.stderr()}`);
    });
    // At most 256 past a stuck ticket per ring, plus the real ring's 50.
    expect(Math.max(...seen)).toBeLessThanOrEqual(2 * 256 + 50);
    expect(metric(text, 'sigsys_corrupt_records_total', { reason: 'ring' })).toBe(2);
    expect(metric(text, 'sigsys_events_dropped_total')).toBe(0);
    expect(metric(text, 'sigsys_torn_records_total')).toBe(0);
    expect(events()).toHaveLength(50);
    await stopWithin5s(c);
  }, 60_000);
});
