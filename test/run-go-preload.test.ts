/**
 * A Go program that owns its signals, under `sigsys run` (the preload), in
 * enforce and audit mode: test/fixtures/go-signals (cgo, dynamically linked
 * against glibc) runs 2000 goroutines on several OS threads, uses Go's signal
 * handling, starts children with os/exec (a shell and itself) and makes one
 * denied call (acct) in the parent and in the child.  Go's runtime calls
 * rt_sigaction and rt_sigprocmask directly (its fork child resets SIGSYS to
 * SIG_DFL; every thread is created with all signals blocked) and passes its
 * own initial environment to children: before the fix the children died of
 * SIGSYS.  Here: the same output and exit status as unconfined (the acct
 * result aside, in enforce mode), and exactly the two acct calls reported
 * with the right pid, errno and outcome.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ViolationEvent } from '../src/events/types.js';
import { ensureDist, root, spawnCli } from './collector-helpers.js';

const pexec = promisify(execFile);
let main: string;
let dir: string;
let bin: string;
let unconfined: { code: number | null; stdout: string };

/** The Go toolchain: $GO, `go` on PATH, or the upstream tarball's place. */
function goTool(): string {
  if (process.env.GO) return process.env.GO;
  for (const d of (process.env.PATH ?? '').split(':')) if (d && existsSync(join(d, 'go'))) return join(d, 'go');
  return '/usr/local/go/bin/go';
}

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-go-test-'));
  bin = join(dir, 'go-signals');
  // Offline, cache under build/: nothing is downloaded.
  await pexec(goTool(), ['build', '-o', bin, '.'], {
    cwd: join(root, 'test/fixtures/go-signals'),
    env: {
      ...process.env,
      CGO_ENABLED: '1',
      GOCACHE: join(root, 'build/gocache'),
      GOPATH: join(root, 'build/gopath'),
      GOTOOLCHAIN: 'local',
      GOPROXY: 'off',
      GOFLAGS: '-mod=mod',
    },
  });
  const u = await pexec(bin, []).then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string }) => ({ code: e.code, stdout: e.stdout }),
  );
  unconfined = u;
}, 300_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Output with pids and the acct results masked: what must not change. */
const stable = (s: string) =>
  s
    .replace(/pid=\d+/g, 'pid=N')
    .split('\n')
    .filter((l) => !/ acct errno=/.test(l))
    .join('\n');
const field = (s: string, re: RegExp) => Number(re.exec(s)?.[1] ?? NaN);

describe('a cgo Go program under the preload', () => {
  it('runs unconfined as the test expects (the baseline)', () => {
    expect(unconfined.code).toBe(0);
    expect(unconfined.stdout).toMatch(/^goroutines=2000 total=1333333000$/m);
    expect(unconfined.stdout).toMatch(/^exec sh: "sh-child 42" err=<nil>$/m);
    expect(unconfined.stdout).toMatch(/^exec self: err=<nil>$/m);
  });

  for (const mode of ['enforce', 'audit'] as const) {
    it(`${mode}: goroutines, signals and os/exec children behave as unconfined; both acct calls reported with pid and errno`, async () => {
      const out = join(dir, `${mode}.ndjson`);
      const p = spawnCli(main, ['run', '--mode', mode, '--out', out, '--', bin], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
      const exit = await p.exit;
      const stdout = p.stdout();
      expect(exit.code, p.stderr()).toBe(unconfined.code);
      expect(stable(stdout)).toBe(stable(unconfined.stdout));
      // The denied call: EPERM in enforce mode; in audit mode it ran, as
      // unconfined.
      const unconfinedAcct = field(unconfined.stdout, /^parent acct errno=(\d+)$/m);
      const want = mode === 'enforce' ? 1 : unconfinedAcct;
      expect(field(stdout, /^parent acct errno=(\d+)$/m)).toBe(want);
      expect(field(stdout, /^child acct errno=(\d+)$/m)).toBe(want);

      const parent = field(stdout, /^parent pid=(\d+)/m);
      const child = field(stdout, /^child pid=(\d+)/m);
      const text = await readFile(out, 'utf8');
      const events = text.trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l) as ViolationEvent);
      expect(events.map((e) => [e.syscall, e.pid, e.errno, e.outcome, e.mode]).sort()).toEqual(
        [
          ['acct', child, mode === 'enforce' ? 1 : 0, mode === 'enforce' ? 'denied' : 'allowed', mode],
          ['acct', parent, mode === 'enforce' ? 1 : 0, mode === 'enforce' ? 'denied' : 'allowed', mode],
        ].sort(),
      );
      for (const e of events) expect(e).toMatchObject({ nr: 163, arch: 'x86_64', exe: bin });
      expect(p.stderr()).toMatch(new RegExp(`2 violations of 1 syscall in 2 processes \\(${mode}, profile default\\.json\\); exit status 0`));
    }, 120_000);
  }
});
