/**
 * The learning policy cache (src/learn/policy-cache.ts, used by
 * src/learn/start.ts): a second `sigsys learn` with the same base, mode and
 * build gets the same policy and plan without compiling; anything it cannot
 * trust (a corrupt entry, a directory or entry others could have written)
 * is a miss, never an error.  Real compiler, real addon, real files.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ENTRIES, readCached, writeCached } from '../src/learn/policy-cache.js';
import { prepareLearning, type LearningStart } from '../src/learn/start.js';
import { ensureDist, root } from './collector-helpers.js';

let tmp: string;
let n = 0;
const fresh = (name: string) => {
  const d = join(tmp, `${name}-${n++}`);
  return d;
};
const entries = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.json')) : []);
const isRoot = process.getuid?.() === 0;
const base = join(root, 'test/fixtures/learn/base-deny-acct.json');

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'sigsys-learn-start-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** What the learning run gets, without the flag that says where it came from. */
const payload = (s: LearningStart) => ({ policy: s.policy.toString('hex'), arch: s.arch, bootstrap: s.bootstrap, preload: s.preload, reportOnce: s.reportOnce, warnings: s.warnings });

describe('a second learning run with the same inputs gets the policy from the cache', () => {
  it.each([
    ['the default deny-all base, audit', undefined, 'audit'],
    ['the default deny-all base, enforce', undefined, 'enforce'],
    ['a --base file', base, 'audit'],
  ] as const)('%s: miss, then a hit identical to compiling', async (_name, b, mode) => {
    const dir = fresh('hit');
    const env = { SIGSYS_CACHE_DIR: dir };
    const first = await prepareLearning({ base: b, mode, env });
    const second = await prepareLearning({ base: b, mode, env });
    const compiled = await prepareLearning({ base: b, mode, env: { SIGSYS_CACHE_DIR: 'off' } });
    expect([first.cached, second.cached, compiled.cached]).toEqual([false, true, false]);
    expect(payload(second)).toEqual(payload(compiled));
    expect(payload(first)).toEqual(payload(compiled));
    expect(second.policy.length).toBeGreaterThan(0);
    expect(entries(dir)).toHaveLength(1);
    expect(lstatSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dir, entries(dir)[0]!)).mode & 0o777).toBe(0o600);
  });

  // Each row: the first run's inputs, then the second's (`copy`: a copy of the base, changed in between for the last row).
  it.each([
    ['another mode', (copy: string) => [{ mode: 'audit' as const }, { mode: 'enforce' as const }] ],
    ['a --base file instead of the default', (copy: string) => [{ mode: 'audit' as const }, { base: copy, mode: 'audit' as const }] ],
    ['the same base file with other text', (copy: string) => [{ base: copy, mode: 'audit' as const }, { base: copy, mode: 'audit' as const, edit: true }] ],
  ])('%s is a miss', async (_name, inputs) => {
    const dir = fresh('miss');
    const env = { SIGSYS_CACHE_DIR: dir };
    const copy = `${dir}-base.json`;
    writeFileSync(copy, readFileSync(base));
    const [a, b] = inputs(copy) as [{ base?: string; mode: 'audit' | 'enforce' }, { base?: string; mode: 'audit' | 'enforce'; edit?: boolean }];
    const first = await prepareLearning({ ...a, env });
    if (b.edit) writeFileSync(copy, readFileSync(base, 'utf8').replace('"acct"', '"acct", "swapon"'));
    const second = await prepareLearning({ base: b.base, mode: b.mode, env });
    expect([first.cached, second.cached]).toEqual([false, false]);
    expect(entries(dir)).toHaveLength(2);
    expect((await prepareLearning({ base: b.base, mode: b.mode, env })).cached).toBe(true);
  });
});

describe('an entry that cannot be trusted is a miss, compiled again and rewritten', () => {
  const corruptions: [string, (file: string) => void][] = [
    ['truncated to half', (f) => truncateSync(f, Math.floor(statSync(f).size / 2))],
    ['empty', (f) => truncateSync(f, 0)],
    ['a byte of the policy changed', (f) => writeFileSync(f, readFileSync(f, 'utf8').replace(/"policy":"(.)/, (_m, c: string) => `"policy":"${c === 'A' ? 'B' : 'A'}`))],
    ['valid checksum over a body of the wrong shape', (f) => {
      const body = JSON.stringify({ key: 'x' });
      writeFileSync(f, `${createHash('sha256').update(body).digest('hex')}\n${body}`);
    }],
    ['writable by others', (f) => chmodSync(f, 0o666)],
    ...(isRoot ? [['owned by another user', (f: string) => chownSync(f, 65534, 65534)] as [string, (file: string) => void]] : []),
  ];
  it.each(corruptions)('%s', async (_name, corrupt) => {
    const dir = fresh('corrupt');
    const env = { SIGSYS_CACHE_DIR: dir };
    const good = await prepareLearning({ mode: 'audit', env });
    const file = join(dir, entries(dir)[0]!);
    corrupt(file);
    const again = await prepareLearning({ mode: 'audit', env });
    expect(again.cached).toBe(false);
    expect(payload(again)).toEqual(payload(good));
    // Rewritten: the next run is a hit again.
    expect((await prepareLearning({ mode: 'audit', env })).cached).toBe(true);
  });
});

describe('an entry under another key\'s name is a miss', () => {
  it('the audit entry renamed to the enforce entry\'s file name: enforce compiles and gets its own policy', async () => {
    const probe = fresh('names');
    await prepareLearning({ mode: 'enforce', env: { SIGSYS_CACHE_DIR: probe } });
    const enforceName = entries(probe)[0]!;
    const dir = fresh('renamed');
    const env = { SIGSYS_CACHE_DIR: dir };
    await prepareLearning({ mode: 'audit', env });
    renameSync(join(dir, entries(dir)[0]!), join(dir, enforceName));
    const enforce = await prepareLearning({ mode: 'enforce', env });
    expect(enforce.cached).toBe(false);
    expect(payload(enforce)).toEqual(payload(await prepareLearning({ mode: 'enforce', env: { SIGSYS_CACHE_DIR: 'off' } })));
  });
});

describe('a cache directory that is not safe to use is not used (learn just compiles)', () => {
  const cases: [string, () => string][] = [
    ['group- and world-writable (0777)', () => { const d = fresh('perm'); mkdirSync(d, { mode: 0o700 }); chmodSync(d, 0o777); return d; }],
    ['readable by others (0755)', () => { const d = fresh('perm'); mkdirSync(d, { mode: 0o700 }); chmodSync(d, 0o755); return d; }],
    ['a symlink to a good directory', () => { const d = fresh('target'); mkdirSync(d, { mode: 0o700 }); const l = fresh('link'); symlinkSync(d, l); return l; }],
    ...(isRoot ? [['owned by another user', () => { const d = fresh('owner'); mkdirSync(d, { mode: 0o700 }); chownSync(d, 65534, 65534); return d; }] as [string, () => string]] : []),
  ];
  it.each(cases)('%s', async (_name, make) => {
    const dir = make();
    const env = { SIGSYS_CACHE_DIR: dir };
    const runs = [await prepareLearning({ mode: 'audit', env }), await prepareLearning({ mode: 'audit', env })];
    expect(runs.map((r) => r.cached)).toEqual([false, false]);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('nothing is made inside another user\'s directory', () => {
  it.runIf(isRoot)('root with a user\'s HOME (sudo -E): no ~/.cache made there, learn compiles', async () => {
    const home = fresh('user-home');
    mkdirSync(home, { mode: 0o755 });
    chownSync(home, 65534, 65534);
    const runs = [await prepareLearning({ mode: 'audit', env: { HOME: home } }), await prepareLearning({ mode: 'audit', env: { HOME: home } })];
    expect(runs.map((r) => r.cached)).toEqual([false, false]);
    expect(readdirSync(home)).toEqual([]);
  });

  it('inside a sticky directory (like /tmp) the cache directory is made', async () => {
    const sticky = fresh('sticky');
    mkdirSync(sticky, { mode: 0o700 });
    chmodSync(sticky, 0o1777);
    if (isRoot) chownSync(sticky, 65534, 65534);
    const env = { SIGSYS_CACHE_DIR: join(sticky, 'sigsys') };
    await prepareLearning({ mode: 'audit', env });
    expect((await prepareLearning({ mode: 'audit', env })).cached).toBe(true);
  });
});

describe('where the cache lives', () => {
  it('SIGSYS_CACHE_DIR=off: nothing read or written, not even under XDG_CACHE_HOME', async () => {
    const xdg = fresh('xdg');
    const env = { SIGSYS_CACHE_DIR: 'off', XDG_CACHE_HOME: xdg };
    const runs = [await prepareLearning({ mode: 'audit', env }), await prepareLearning({ mode: 'audit', env })];
    expect(runs.map((r) => r.cached)).toEqual([false, false]);
    expect(existsSync(xdg)).toBe(false);
  });

  it.each([
    ['$XDG_CACHE_HOME/sigsys', (d: string) => ({ XDG_CACHE_HOME: d }), (d: string) => join(d, 'sigsys')],
    ['~/.cache/sigsys without XDG_CACHE_HOME', (d: string) => ({ HOME: d }), (d: string) => join(d, '.cache', 'sigsys')],
  ])('%s, made 0700', async (_name, env, where) => {
    const d = fresh('home');
    await prepareLearning({ mode: 'audit', env: env(d) });
    expect((await prepareLearning({ mode: 'audit', env: env(d) })).cached).toBe(true);
    expect(entries(where(d))).toHaveLength(1);
    expect(lstatSync(where(d)).mode & 0o777).toBe(0o700);
  });

  it(`keeps the ${MAX_ENTRIES} most recently used entries`, async () => {
    const dir = fresh('prune');
    const entry = await prepareLearning({ mode: 'audit', env: { SIGSYS_CACHE_DIR: 'off' } });
    const key = (i: number) => i.toString(16).padStart(64, '0');
    for (let i = 0; i < MAX_ENTRIES; i++) {
      writeCached(dir, key(i), entry);
      utimesSync(join(dir, `${key(i)}.json`), 1000 + i, 1000 + i); // entry i last used at 1000+i s
    }
    expect(readCached(dir, key(0))?.policy).toEqual(entry.policy); // used now: the newest
    writeCached(dir, key(MAX_ENTRIES), entry); // one too many: the least recently used (1) goes
    const left = entries(dir).map((f) => f.slice(0, 64));
    expect(left).toHaveLength(MAX_ENTRIES);
    expect(left).toContain(key(0));
    expect(left).toContain(key(MAX_ENTRIES));
    expect(left).not.toContain(key(1));
  });
});

describe('sigsys learn through the cache', () => {
  it.each([
    ['a corrupt entry', (dir: string) => { for (const f of entries(dir)) truncateSync(join(dir, f), 10); }],
    ['a directory others can write', (dir: string) => chmodSync(dir, 0o777)],
  ])('%s: learn still learns uname', async (_name, spoil) => {
    const main = await ensureDist();
    const dir = fresh('cli');
    const learn = (out: string) =>
      spawnSync(process.execPath, [main, 'learn', '-o', out, '--', 'uname', '-s'], {
        encoding: 'utf8',
        env: { ...process.env, SIGSYS_CACHE_DIR: dir, SIGSYS_LOG_LEVEL: 'warn' },
      });
    expect(learn(join(tmp, `warm-${n}.json`)).status).toBe(0);
    spoil(dir);
    const out = join(tmp, `spoiled-${n}.json`);
    const r = learn(out);
    expect(r.status, r.stderr).toBe(0);
    // Nothing said about the cache: its only line is the summary.
    expect(r.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sigsys: learned \d+ syscalls .* exit status 0$/)]);
    const profile = JSON.parse(readFileSync(out, 'utf8')) as { syscalls: { names?: string[]; action: string }[] };
    expect(profile.syscalls.filter((e) => e.action === 'SCMP_ACT_ALLOW').flatMap((e) => e.names ?? [])).toContain('uname');
  });
});
