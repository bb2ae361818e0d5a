/**
 * confine-helpers.ts - shared by test/launcher.test.ts and
 * test/confinement-matrix.test.ts: builds the real-program fixtures of
 * test/fixtures/confine/ into build/confine-fixtures/ (musl static and
 * dynamic, glibc, Go static and cgo with GOCACHE under build/, Java), runs
 * commands unconfined, under sigsys-exec and under `sigsys run`, and reads
 * what the workloads saw ("denied pid=P tid=T NAME ret=R errno=E" lines on
 * stderr) and what was reported.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ViolationEvent } from '../src/events/types.js';
import { createCollector } from '../src/collector/collector.js';
import { memorySink, root, tool } from './collector-helpers.js';

const pexec = promisify(execFile);
export const fixtures = join(root, 'test/fixtures/confine');
export const out = join(root, 'build/confine-fixtures');
export const sigsysExec = () => tool('sigsys-exec');
export const defaultProfile = join(root, 'deploy/profiles/default.json');

function goBin(): string {
  return existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
}

const newer = (target: string, ...srcs: string[]) =>
  existsSync(target) && srcs.every((s) => statSync(s).mtimeMs <= statSync(target).mtimeMs);

export interface Fixtures {
  deniedStatic: string;
  deniedMusl: string;
  deniedGlibc: string;
  goStatic: string;
  goCgo: string;
  javaDir: string;
  python: string;
  node: string;
}

/** Build every fixture (skipping what is up to date). */
export async function buildFixtures(): Promise<Fixtures> {
  mkdirSync(out, { recursive: true });
  const c = join(fixtures, 'denied.c');
  const f: Fixtures = {
    deniedStatic: join(out, 'denied-static'),
    deniedMusl: join(out, 'denied-musl'),
    deniedGlibc: join(out, 'denied-glibc'),
    goStatic: join(out, 'go-static'),
    goCgo: join(out, 'go-cgo'),
    javaDir: join(out, 'java'),
    python: join(fixtures, 'workload.py'),
    node: join(fixtures, 'workload.cjs'),
  };
  const cc: [string, string[]][] = [
    [f.deniedStatic, ['musl-gcc', '-static', '-O2', '-o', f.deniedStatic, c]],
    [f.deniedMusl, ['musl-gcc', '-O2', '-o', f.deniedMusl, c]],
    [f.deniedGlibc, ['cc', '-O2', '-o', f.deniedGlibc, c, '-lpthread']],
  ];
  await Promise.all(cc.filter(([t]) => !newer(t, c)).map(([, [cmd, ...args]]) => pexec(cmd!, args)));
  const goSrc = ['main.go', 'cgo.go', 'go.mod'].map((x) => join(fixtures, 'go', x));
  const goEnv = { ...process.env, GOCACHE: join(root, 'build/go-cache'), GOTOOLCHAIN: 'local', GOFLAGS: '-mod=mod', GOPROXY: 'off' };
  for (const [bin, cgo] of [[f.goStatic, '0'], [f.goCgo, '1']] as const) {
    if (!newer(bin, ...goSrc)) await pexec(goBin(), ['build', '-o', bin, '.'], { cwd: join(fixtures, 'go'), env: { ...goEnv, CGO_ENABLED: cgo } });
  }
  const javaSrc = join(fixtures, 'Workload.java');
  if (!newer(join(f.javaDir, 'Workload.class'), javaSrc)) await pexec('javac', ['-d', f.javaDir, javaSrc]);
  return f;
}

/** Compile a profile into a policy file with the real CLI. */
export async function compilePolicy(main: string, profile: string, mode: 'enforce' | 'audit', dest: string): Promise<string> {
  await pexec(process.execPath, [main, 'compile', profile, '--mode', mode, '-o', dest]);
  return dest;
}

export interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Exit status as a shell reports it (128 + signal). */
  status: number;
  stdout: string;
  stderr: string;
}

export function runCmd(cmd: string[], env: NodeJS.ProcessEnv = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd[0]!, cmd.slice(1), { env: { ...process.env, SIGSYS_LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    p.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    p.once('error', reject);
    p.once('close', (code, signal) => {
      const num = signal ? ({ SIGSYS: 31, SIGKILL: 9, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0 : 0;
      resolve({ code, signal, status: signal ? 128 + num : (code ?? 0), stdout, stderr });
    });
  });
}

export interface DeniedLine {
  pid: number;
  tid: number;
  name: string;
  ret: number;
  errno: number;
}

/** What each workload process saw of its denied-candidate calls. */
export function deniedLines(stderr: string): DeniedLine[] {
  return [...stderr.matchAll(/^denied pid=(\d+) tid=(\d+) (\w+) ret=(-?\d+) errno=(\d+)$/gm)].map((m) => ({
    pid: Number(m[1]),
    tid: Number(m[2]),
    name: m[3]!,
    ret: Number(m[4]),
    errno: Number(m[5]),
  }));
}

/** Every event in a spool, read with the real collector. */
export async function spoolEvents(spool: string): Promise<ViolationEvent[]> {
  const sink = memorySink();
  const c = createCollector({ spoolDir: spool, sinks: [sink], removeFinished: false, pollIntervalMs: 20 });
  c.start();
  await c.drain();
  await c.stop();
  return sink.events;
}

export async function readNdjson(path: string): Promise<ViolationEvent[]> {
  const text = existsSync(path) ? await readFile(path, 'utf8') : '';
  return text.trimEnd() ? text.trimEnd().split('\n').map((l) => JSON.parse(l) as ViolationEvent) : [];
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}
