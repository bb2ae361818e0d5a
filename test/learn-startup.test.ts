/**
 * `sigsys learn`'s start-up: the command starts before the collector's
 * heavy modules (protobufjs, pino) are loaded, so their loading overlaps the
 * command's run instead of adding to learn's wall time (docs/learn.md,
 * "Cost").  A probe preloaded into the real CLI records, at the moment
 * sigsys-exec is spawned, which of them are loaded; the run must still
 * learn what the command did (the collector loaded late lost nothing).
 */
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDist, root } from './collector-helpers.js';

let main: string;
let dir: string;
const probe = join(root, 'test/fixtures/learn/spawn-probe.cjs');

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-learn-startup-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function learnProbed(via: string, out: string, record: string, cmd: string[]) {
  const child = spawn(process.execPath, ['--require', probe, main, 'learn', '--learn-via', via, '-o', out, '--', ...cmd], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SIGSYS_LOG_LEVEL: 'warn', SIGSYS_SPAWN_PROBE: record },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise<{ code: number | null; stderr: string }>((r) => child.once('close', (code) => r({ code, stderr: err })));
}

describe('sigsys learn starts the command before loading the collector', () => {
  const vias = process.getuid?.() === 0 ? ['bpf', 'supervisor'] : ['supervisor'];
  it.each(vias)('--learn-via %s: protobufjs and pino not loaded when sigsys-exec starts, and the run still learns uname', async (via) => {
    const out = join(dir, `learned-${via}.json`);
    const record = join(dir, `probe-${via}.txt`);
    const r = await learnProbed(via, out, record, ['uname', '-s']);
    expect(r.code, r.stderr).toBe(0);
    // One spawn of sigsys-exec, with neither package loaded yet.
    expect((await readFile(record, 'utf8')).trim().split('\n')).toEqual(['[]']);
    const profile = JSON.parse(await readFile(out, 'utf8')) as { syscalls: { names?: string[]; action: string }[] };
    const allowed = profile.syscalls.filter((e) => e.action === 'SCMP_ACT_ALLOW').flatMap((e) => e.names ?? []);
    expect(allowed).toContain('uname');
  });
});
