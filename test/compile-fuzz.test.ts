/**
 * compile-fuzz: seeded random mutations of valid profiles never crash the
 * compiler: every input either compiles to a valid policy or is rejected with
 * a ProfileError (exit 2, `p.json: ...`).  Bounded and deterministic (seeded
 * PRNG); SIGSYS_FUZZ_COUNT / SIGSYS_FUZZ_SEED change the run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProfileError } from '../src/errors.js';
import { loadNative } from '../src/native/loader.js';
import { compileProfileText } from '../src/profile/compile.js';

const FIX = join(import.meta.dirname, 'fixtures', 'profiles');
const BASES = ['actions.json', 'args.json', 'gated.json', 'oci-config.json', 'deny-list.json', 'overlap.json'].map((f) =>
  readFileSync(join(FIX, f), 'utf8'),
);
BASES.push(readFileSync(join(import.meta.dirname, '..', 'deploy', 'profiles', 'default.json'), 'utf8'));

const COUNT = Number(process.env.SIGSYS_FUZZ_COUNT ?? 600);
const SEED = Number(process.env.SIGSYS_FUZZ_SEED ?? 0x5eccc0);

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type J = null | boolean | number | string | J[] | { [k: string]: J };

const INTERESTING: J[] = [
  null, true, false, 0, -1, 1.5, 5, 6, 4095, 4096, 65536, 2 ** 53 + 1, 1e300, '', 'x', 'SCMP_ACT_ALLOW', 'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_NOTIFY', 'SCMP_ACT_TRACE', 'SCMP_CMP_MASKED_EQ', 'SCMP_CMP_FOO', 'SCMP_ARCH_X86', 'SCMP_ARCH_AARCH64', 'amd64',
  'read', 'rt_sigreturn', 'CAP_SYS_ADMIN', '4.8', [], {}, [1, 2], { index: 0 }, ['read', 'write'],
  { index: 0, value: 1, op: 'SCMP_CMP_EQ' }, { index: 5, value: 2 ** 40, valueTwo: 3, op: 'SCMP_CMP_MASKED_EQ' },
];
const KEYS = ['names', 'name', 'action', 'errnoRet', 'args', 'includes', 'excludes', 'index', 'value', 'valueTwo', 'op', 'caps', 'arches', 'minKernel', 'defaultAction', 'defaultErrnoRet', 'architectures', 'archMap', 'syscalls', 'linux', 'seccomp'];

function pick<T>(rnd: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rnd() * xs.length)]!;
}

/** All containers in the tree, with a way to set a child. */
function containers(v: J, out: (J[] | { [k: string]: J })[] = []): (J[] | { [k: string]: J })[] {
  if (Array.isArray(v)) {
    out.push(v);
    v.forEach((c) => containers(c, out));
  } else if (v && typeof v === 'object') {
    out.push(v);
    Object.values(v).forEach((c) => containers(c, out));
  }
  return out;
}

function mutateTree(rnd: () => number, root: J): void {
  const all = containers(root);
  const c = pick(rnd, all);
  const op = Math.floor(rnd() * 5);
  if (Array.isArray(c)) {
    if (c.length === 0 || op === 0) c.push(structuredClone(pick(rnd, INTERESTING)));
    else if (op === 1) c.splice(Math.floor(rnd() * c.length), 1);
    else if (op === 2) c.push(structuredClone(pick(rnd, c)));
    else c[Math.floor(rnd() * c.length)] = structuredClone(pick(rnd, INTERESTING));
  } else {
    const keys = Object.keys(c);
    if (keys.length === 0 || op === 0) c[pick(rnd, KEYS)] = structuredClone(pick(rnd, INTERESTING));
    else if (op === 1) delete c[pick(rnd, keys)];
    else if (op === 2) {
      const k = pick(rnd, keys);
      c[pick(rnd, KEYS)] = c[k]!;
      delete c[k];
    } else c[pick(rnd, keys)] = structuredClone(pick(rnd, INTERESTING));
  }
}

function mutateText(rnd: () => number, text: string): string {
  const i = Math.floor(rnd() * text.length);
  switch (Math.floor(rnd() * 4)) {
    case 0:
      return text.slice(0, i);
    case 1:
      return text.slice(0, i) + pick(rnd, ['{', '}', '[', ']', ',', ':', '"', '-', '9', 'e', '\\', '\u0000', '1e999']) + text.slice(i);
    case 2:
      return text.slice(0, i) + text.slice(i + 1 + Math.floor(rnd() * 8));
    default:
      return text.replace(/\d+/g, (m) => (rnd() < 0.1 ? `${m}${m}${m}${m}${m}` : m));
  }
}

function makeInput(rnd: () => number): string {
  const base = pick(rnd, BASES);
  if (rnd() < 0.3) return mutateText(rnd, base);
  const tree = JSON.parse(base) as J;
  const n = 1 + Math.floor(rnd() * 4);
  for (let i = 0; i < n; i++) mutateTree(rnd, tree);
  return JSON.stringify(tree, null, rnd() < 0.5 ? 2 : undefined);
}

describe('fuzz: mutated profiles compile or fail with a ProfileError', () => {
  it(`${COUNT} seeded mutations (seed ${SEED}) in-process`, () => {
    const rnd = mulberry32(SEED);
    const native = loadNative();
    let ok = 0;
    let rejected = 0;
    for (let i = 0; i < COUNT; i++) {
      const text = makeInput(rnd);
      const caps = rnd() < 0.5 ? undefined : ['SYS_ADMIN'];
      const arch = rnd() < 0.8 ? 'x86_64' : 'aarch64';
      const mode = rnd() < 0.5 ? 'enforce' : 'audit';
      const binaryTree = rnd() < 0.7;
      try {
        const r = compileProfileText(text, 'p.json', { arch, mode, binaryTree, ...(caps ? { caps } : {}) });
        expect(native.policyInfo(r.policy).insns).toBe(r.insns);
        ok++;
      } catch (err) {
        if (!(err instanceof ProfileError) || err.exitCode !== 2 || !err.message.startsWith('p.json: ')) {
          throw new Error(`mutation ${i} (seed ${SEED}) failed unexpectedly: ${String(err)}\n--- input ---\n${text.slice(0, 2000)}`);
        }
        rejected++;
      }
    }
    // The mutations must exercise both outcomes.
    expect(ok).toBeGreaterThan(COUNT / 10);
    expect(rejected).toBeGreaterThan(COUNT / 10);
  });

  it('through the real CLI: exit 0 or 2, one line, never a stack trace', () => {
    const rnd = mulberry32(SEED ^ 0xc11);
    const dir = mkdtempSync(join(tmpdir(), 'sigsys-fuzz-'));
    for (let i = 0; i < 20; i++) {
      writeFileSync(join(dir, 'p.json'), makeInput(rnd));
      const r = spawnSync(process.execPath, [process.env.SIGSYS_TEST_CLI ?? join(import.meta.dirname, '..', 'dist', 'cli', 'main.js'), 'compile', 'p.json', '-o', 'p.policy'], {
        cwd: dir,
        encoding: 'utf8',
      });
      expect([0, 2], r.stderr).toContain(r.status);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      if (r.status === 2) expect(r.stderr).toMatch(/^sigsys: p\.json: [^\n]+\n$/);
    }
  });
});
