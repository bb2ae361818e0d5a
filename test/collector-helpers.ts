/**
 * collector-helpers.ts - shared by test/collector*.test.ts and
 * test/run*.test.ts: where the native build is, sigsys-ringfill (the ring
 * producer tool, native/tools/ringfill.c), raw ring surgery for hostile-ring cases, the CLI as a real
 * process, and bounded polling.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, statSync, readdirSync, mkdirSync, rmdirSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import type { Sink } from '../src/sinks/sink.js';
import type { ViolationEvent } from '../src/events/types.js';

export const root = resolve(import.meta.dirname, '..');
const pexec = promisify(execFile);

/** Directory holding sigsys.node, libsigsys.so and the test tools. */
export function nativeDir(): string {
  if (process.env.SIGSYS_ADDON) return dirname(resolve(process.env.SIGSYS_ADDON));
  return join(root, 'build/native/Release');
}
export const tool = (name: string) => join(nativeDir(), name);

export async function until<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000, everyMs = 20): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export interface FillResult {
  path: string;
  pushed: number;
  dropped: number;
}

/** Run sigsys-ringfill to completion: one ring in `dir` with `count` events per thread. */
export async function ringfill(dir: string, count: number, opts: { records?: number; threads?: number } = {}): Promise<FillResult> {
  const args = [dir, String(count)];
  if (opts.records) args.push('--records', String(opts.records));
  if (opts.threads) args.push('--threads', String(opts.threads));
  const { stdout } = await pexec(tool('sigsys-ringfill'), args, { maxBuffer: 1 << 20 });
  const lines = stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1]!) as FillResult;
}

/** A ringfill that created its ring and waits (ring mapped) until go(); then produces. */
export async function ringfillLive(dir: string, count: number, opts: { records?: number; block?: boolean } = {}) {
  const args = [dir, String(count), '--wait-go'];
  if (opts.records) args.push('--records', String(opts.records));
  if (opts.block) args.push('--block');
  const child = spawn(tool('sigsys-ringfill'), args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const rl = createInterface({ input: child.stdout! });
  const lines: string[] = [];
  rl.on('line', (l) => lines.push(l));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const path = await until('ringfill to print its ring path', () => lines[0]);
  return {
    path,
    child,
    go: () => child.stdin!.write('go\n'),
    done: async (): Promise<FillResult> => {
      const code = await exited;
      if (code !== 0) throw new Error(`sigsys-ringfill exited ${code}`);
      return JSON.parse(lines[lines.length - 1]!) as FillResult;
    },
  };
}

// ---- ring file layout (native/src/ring.h) ----
export const RING = {
  headerSize: 8192,
  recordSize: 256,
  off: { magic: 0, version: 8, headerSize: 12, recordSize: 16, recordCount: 20, head: 24, cursor: 32, dropped: 40, ownerPid: 56, metaLen: 60, hotFull: 68, hot: 72, meta: 3912 },
  WRITING_BIT: 0x80000000,
};

/** Patch bytes of a ring file in place. */
export async function patch(path: string, at: number, bytes: Buffer): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(bytes, 0, bytes.length, at);
  } finally {
    await fh.close();
  }
}
export const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
export const u64 = (v: bigint | number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
};
export const recordOffset = (ticket: number, recordCount: number) => RING.headerSize + (ticket & (recordCount - 1)) * RING.recordSize;

export async function readU64(path: string, at: number): Promise<bigint> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(8);
    await fh.read(b, 0, 8, at);
    return b.readBigUInt64LE();
  } finally {
    await fh.close();
  }
}

/** An in-memory sink (a real Sink, used to look at what the collector delivered). */
export function memorySink(opts: { failFirst?: number } = {}): Sink & { events: ViolationEvent[]; calls: number } {
  let failures = opts.failFirst ?? 0;
  const s = {
    name: 'memory',
    events: [] as ViolationEvent[],
    calls: 0,
    async write(events: readonly ViolationEvent[]) {
      s.calls++;
      if (failures > 0) {
        failures--;
        throw new Error('sink unavailable (test)');
      }
      s.events.push(...events);
    },
    async close() {},
  };
  return s;
}

// ---- the CLI as a real process (dist/, built by scripts/setup.sh; rebuilt here when stale) ----

function newestMtime(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    t = Math.max(t, e.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return t;
}

/**
 * The CLI to run: the private build of test/setup/build-cli.ts
 * ($SIGSYS_TEST_CLI) when vitest's globalSetup made one, else dist/cli/main.js
 * made at least as new as src/ (tsc under a mkdir lock).
 */
export async function ensureDist(): Promise<string> {
  if (process.env.SIGSYS_TEST_CLI && existsSync(process.env.SIGSYS_TEST_CLI)) return process.env.SIGSYS_TEST_CLI;
  const main = join(root, 'dist/cli/main.js');
  const fresh = () => existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(root, 'src')) - 1;
  if (fresh()) return main;
  const lock = join(root, 'build', '.tsc-lock');
  mkdirSync(join(root, 'build'), { recursive: true });
  await until('the tsc lock', () => {
    try {
      mkdirSync(lock);
      return true;
    } catch {
      return undefined;
    }
  }, 120_000, 200);
  try {
    if (!fresh()) {
      // tsc emits even when some other part has type errors; the run is judged by the tests.
      await pexec('npx', ['--no-install', 'tsc', '-p', 'tsconfig.json'], { cwd: root }).catch(() => undefined);
    }
  } finally {
    rmdirSync(lock);
  }
  if (!existsSync(main)) throw new Error('dist/cli/main.js missing after tsc');
  return main;
}

export interface CliProcess {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export function spawnCli(main: string, args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): CliProcess {
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    cwd: opts.cwd ?? root,
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('close', (code, signal) => r({ code, signal })),
  );
  return { child, stdout: () => out, stderr: () => err, exit };
}

/** `sigsys run ARGS -- CMD` through the real CLI (built at `main`): exit, stdout and stderr. */
export async function sigsysRun(main: string, args: string[], cmd: string[], env: NodeJS.ProcessEnv = {}) {
  const p = spawnCli(main, ['run', ...args, '--', ...cmd], { env: { SIGSYS_LOG_LEVEL: 'warn', ...env } });
  const exit = await p.exit;
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

/** The pids a workload printed as `pid=N` lines. */
export const pidsOf = (stdout: string) => [...stdout.matchAll(/^pid=(\d+)$/gm)].map((m) => Number(m[1]));
