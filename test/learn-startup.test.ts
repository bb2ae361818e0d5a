/**
 * `sigsys learn`'s start-up: the command starts before the collector's
 * heavy modules (protobufjs, pino) are loaded, so their loading overlaps the
 * command's run instead of adding to learn's wall time (docs/learn.md,
 * "Cost").  A probe preloaded into the real CLI records, at the moment
 * sigsys-exec is spawned, which of them are loaded; the run must still
 * learn what the command did (the collector loaded late lost nothing).
 * With the learning policy cached (src/learn/policy-cache.ts), nothing heavy
 * is loaded before the command starts: module hooks record every module
 * loaded, and the probe marks where sigsys-exec was spawned.
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
const loadProbe = join(root, 'test/fixtures/learn/load-probe.mjs');

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

/**
 * What learn's start needs to be without on a cache hit: the JSON parser,
 * the compiler, the profile logic, the addon, the collector and its
 * packages.
 */
const HEAVY = [
  /node_modules\/jsonc-parser\//, /node_modules\/protobufjs\//, /node_modules\/pino\//,
  /\/profile\/(compile|parse|normalise|rules|caps)\.js$/, /\/learn\/(learn|groups)\.js$/,
  /\/aggregate\//, /\/collector\//, /\/events\//, /sigsys\.node$/,
];

/** Modules loaded before and after sigsys-exec was spawned, as the probes wrote them. */
async function learnLoads(cacheDir: string, out: string, cmd: string[]) {
  const record = join(dir, `loads-${Math.random().toString(16).slice(2)}.txt`);
  const child = spawn(process.execPath, ['--require', probe, '--import', loadProbe, main, 'learn', '-o', out, '--', ...cmd], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, SIGSYS_LOG_LEVEL: 'warn', SIGSYS_LOAD_PROBE: record, SIGSYS_CACHE_DIR: cacheDir },
  });
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((r) => child.once('close', r));
  expect(code, err).toBe(0);
  const lines = (await readFile(record, 'utf8')).trim().split('\n');
  const at = lines.indexOf('spawn sigsys-exec');
  expect(at, 'sigsys-exec was spawned once').toBeGreaterThan(0);
  expect(lines.lastIndexOf('spawn sigsys-exec')).toBe(at);
  const urls = (xs: string[]) => xs.filter((l) => l.startsWith('load ')).map((l) => l.slice(5));
  return { before: urls(lines.slice(0, at)), after: urls(lines.slice(at + 1)) };
}

const heavy = (urls: string[]) => [...new Set(urls.filter((u) => HEAVY.some((h) => h.test(u))))];

describe('sigsys learn with its learning policy cached starts the command before loading anything heavy', () => {
  it('cache hit: no parser, compiler, profile logic, addon or collector before sigsys-exec starts; all of it after, and uname learned', async () => {
    const cache = join(dir, 'cache-hit');
    const out = join(dir, 'hit.json');
    const warm = await learnLoads(cache, out, ['uname', '-s']);
    // The probe sees these modules: on the miss that filled the cache, the compiler loads first.
    expect(heavy(warm.before)).toEqual(expect.arrayContaining([expect.stringMatching(/\/profile\/compile\.js$/), expect.stringMatching(/jsonc-parser/)]));
    const hit = await learnLoads(cache, out, ['uname', '-s']);
    expect(heavy(hit.before)).toEqual([]);
    expect(heavy(hit.after)).toEqual(expect.arrayContaining([
      expect.stringMatching(/\/learn\/learn\.js$/), expect.stringMatching(/\/collector\/collector\.js$/), expect.stringMatching(/protobufjs/),
    ]));
    const profile = JSON.parse(await readFile(out, 'utf8')) as { syscalls: { names?: string[]; action: string }[] };
    expect(profile.syscalls.filter((e) => e.action === 'SCMP_ACT_ALLOW').flatMap((e) => e.names ?? [])).toContain('uname');
  });
});
