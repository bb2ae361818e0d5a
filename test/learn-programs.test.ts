/**
 * `sigsys learn` on real programs (issue 11), each learned and then put to
 * the tests a learned profile exists for:
 *
 *  - learning itself runs the program for real (same stdout and exit status
 *    as unconfined), from execve, through the kernel's counter (--learn-via
 *    bpf: every task of the tree counted by eBPF, the first argument of
 *    clone/unshare/socket read there too): static musl, Go and Java too;
 *  - under the learned profile applied as a container runtime applies it
 *    (`sigsys run --native`: the profile's own filter from execve, the
 *    kernel's answers) the program gives the same stdout and exit status;
 *  - under `sigsys run` (launcher + preload, enforce) it has no violation;
 *  - the profile allows every call `strace -f -c` lists for the same command
 *    (clone3 aside: the profile answers it ENOSYS on purpose, libc falls back
 *    to clone, which is learned);
 *  - the set is needed, not padded: for a sample of learned names, the
 *    profile without that one name makes the --native run end differently.
 *
 * Fixtures: test/fixtures/learn/ (threads.py, workers.cjs, Threads.java,
 * static.c, go/), built into build/learn-fixtures/.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, root } from './collector-helpers.js';
import { runCmd, type Ran } from './confine-helpers.js';

const pexec = promisify(execFile);
const src = join(root, 'test/fixtures/learn');
const out = join(root, 'build/learn-fixtures');
const bin = {
  static: join(out, 'static'),
  go: join(out, 'go-cgo'),
  java: join(out, 'java'),
};
let main: string;
let dir: string;
/** The python3 binary itself (not a pyenv shim script, which would run bash first). */
let python = 'python3';

const newer = (target: string, ...srcs: string[]) =>
  existsSync(target) && srcs.every((s) => statSync(s).mtimeMs <= statSync(target).mtimeMs);

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-learn-programs-'));
  mkdirSync(out, { recursive: true });
  const jobs: Promise<unknown>[] = [];
  if (!newer(bin.static, join(src, 'static.c'))) jobs.push(pexec('musl-gcc', ['-static', '-O2', '-o', bin.static, join(src, 'static.c'), '-lpthread']));
  if (!newer(join(bin.java, 'Threads.class'), join(src, 'Threads.java'))) jobs.push(pexec('javac', ['-d', bin.java, join(src, 'Threads.java')]));
  const goSrc = ['main.go', 'go.mod'].map((x) => join(src, 'go', x));
  if (!newer(bin.go, ...goSrc)) {
    const go = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
    const env = { ...process.env, GOCACHE: join(root, 'build/go-cache'), GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOPROXY: 'off', CGO_ENABLED: '1' };
    jobs.push(pexec(go, ['build', '-o', bin.go, '.'], { cwd: join(src, 'go'), env }));
  }
  await Promise.all(jobs);
  python = (await pexec('python3', ['-c', 'import sys; print(sys.executable)'])).stdout.trim();
}, 180_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Entry {
  names?: string[];
  action: string;
  comment?: string;
}
interface Profile {
  syscalls: Entry[];
}

const sigsys = (args: string[]) => runCmd([process.execPath, main, ...args]);
const allowedNames = (p: Profile) => new Set(p.syscalls.filter((e) => e.action === 'SCMP_ACT_ALLOW').flatMap((e) => e.names ?? []));
const learnedNames = (p: Profile) => new Set(p.syscalls.filter((e) => e.comment?.startsWith('learned by sigsys [')).flatMap((e) => e.names ?? []));
/** The profile without `name` in any learned entry (entries left empty dropped). */
function without(p: Profile, name: string): Profile {
  const syscalls = p.syscalls
    .map((e) => (e.comment?.startsWith('learned by sigsys [') ? { ...e, names: (e.names ?? []).filter((n) => n !== name) } : e))
    .filter((e) => (e.names ?? []).length > 0);
  return { ...p, syscalls };
}

/** The syscall names of `strace -f -c` for cmd. */
async function straceNames(cmd: string[], tag: string): Promise<string[]> {
  const file = join(dir, `${tag}.strace`);
  const r = await runCmd(['strace', '-f', '-c', '-o', file, '--', ...cmd]);
  expect(r.status).toBe(0);
  const lines = (await readFile(file, 'utf8')).split('\n');
  const dashes = lines.flatMap((l, i) => (/^-{6} /.test(l) ? [i] : []));
  return lines
    .slice(dashes[0]! + 1, dashes[1])
    .map((l) => l.trim().split(/\s+/).at(-1)!)
    .filter((n) => n && n !== 'total');
}

/** What the program wrote to stderr, without sigsys's own lines. */
const own = (stderr: string) => stderr.replace(/sigsys: [^\n]*\n/g, '');
/** Same stdout, stderr (e.g. no JVM "sched_getaffinity failed (Operation not permitted)") and exit status. */
const same = (a: Ran, b: Ran) =>
  expect({ stdout: b.stdout, stderr: own(b.stderr), status: b.status }).toEqual({ stdout: a.stdout, stderr: own(a.stderr), status: a.status });

const programs: { name: string; cmd: () => string[]; needed: string[] }[] = [
  { name: 'python3 with threads and a subprocess', cmd: () => [python, join(src, 'threads.py')], needed: ['clone', 'pipe2', 'write'] },
  { name: 'node with worker_threads and child_process', cmd: () => [process.execPath, join(src, 'workers.cjs')], needed: ['clone', 'wait4', 'write'] },
  { name: 'Java with threads', cmd: () => ['java', '-cp', bin.java, 'Threads'], needed: ['clone', 'mmap', 'write'] },
  { name: 'mvn -v', cmd: () => ['mvn', '-v', '-o'], needed: ['clone', 'wait4', 'write'] },
  { name: 'a cgo Go program with goroutines and os/exec', cmd: () => [bin.go], needed: ['clone', 'pipe2', 'write'] },
  { name: 'a static musl program with threads, fork and exec', cmd: () => [bin.static], needed: ['clone', 'wait4', 'write'] },
  { name: 'a shell pipeline of coreutils', cmd: () => ['sh', '-c', 'seq 1 2000 | sort -rn | tail -3 | tr 0-9 a-j'], needed: ['pipe2', 'wait4', 'write'] },
];

describe.each(programs)('sigsys learn: $name', ({ name, cmd, needed }) => {
  const tag = name.replace(/\W+/g, '-');
  it('learns while running it for real, and the profile works as runc applies it, under sigsys run, covers strace -f -c, and every sampled learned name is needed', async () => {
    const plain = await runCmd(cmd());
    expect(plain.status).toBe(0);
    expect(plain.stdout).not.toBe('');
    const profile = join(dir, `${tag}.json`);

    // Through the kernel's counter (eBPF): the path learn takes by default as root.
    const learned = await sigsys(['learn', '--learn-via', 'bpf', '-o', profile, '--', ...cmd()]);
    same(plain, learned);
    expect(learned.stderr).toMatch(/sigsys: learned \d+ syscalls from \d+ events in \d+ process(es)? -> /);
    expect(learned.stderr).not.toMatch(/warning/);
    const p = JSON.parse(await readFile(profile, 'utf8')) as Profile;

    // as a container runtime applies it: the profile's own filter from execve
    const native = await sigsys(['run', '--native', '--profile', profile, '--', ...cmd()]);
    same(plain, native);

    // under sigsys run (launcher + preload, enforce): nothing denied
    const run = await sigsys(['run', '--profile', profile, '--', ...cmd()]);
    same(plain, { ...run, stderr: run.stderr.replace(/^SYSCALL .*\n/m, '') });
    expect(run.stderr).toMatch(/sigsys: no violations \(enforce, /);

    // a superset of what strace -f -c lists for the same command
    const allowed = allowedNames(p);
    const traced = (await straceNames(cmd(), tag)).filter((n) => n !== 'clone3');
    expect(traced.filter((n) => !allowed.has(n))).toEqual([]);

    // needed, not padded: without any one of these learned names the program ends differently
    const names = learnedNames(p);
    for (const n of needed) {
      expect(names).toContain(n);
      const cut = join(dir, `${tag}-without-${n}.json`);
      await writeFile(cut, JSON.stringify(without(p, n)));
      // a program that cannot cope may hang instead of failing: that too is ending differently
      const r = await runCmd(['timeout', '-s', 'KILL', '60', process.execPath, main, 'run', '--native', '--profile', cut, '--', ...cmd()]);
      expect({ without: n, stdout: r.stdout, status: r.status }).not.toEqual({ without: n, stdout: plain.stdout, status: plain.status });
    }
  }, 180_000);
});
