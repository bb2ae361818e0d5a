// bench/compile/run.mjs - see run.sh.  Plain ESM over the built dist/.
//
// "Cost" of an allowed syscall is the number of BPF instructions the real
// program executes for it (counted by a small seccomp-BPF interpreter below,
// on the policy file's own instructions), averaged over every syscall the
// profile allows unconditionally.  Kernels 5.11+ skip the filter entirely for
// syscalls whose result is a constant ALLOW (seccomp action cache), so this
// is the cost on older kernels and for the calls the cache cannot cover.
import { mkdirSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const { compileProfileFile, compileProfileText, defaultProfilePath } = await import(join(root, 'dist/profile/compile.js'));
const { loadNative } = await import(join(root, 'dist/native/loader.js'));
const native = loadNative();
const REPS = Number(process.env.REPS ?? 15);

// ---- a seccomp BPF interpreter that counts executed instructions ----
function parsePolicy(buf) {
  const headerSize = buf.readUInt32LE(12);
  const arch = buf.readUInt32LE(16);
  const n = buf.readUInt32LE(24);
  const insns = [];
  for (let i = 0; i < n; i++) {
    const o = headerSize + i * 8;
    insns.push({ code: buf.readUInt16LE(o), jt: buf[o + 2], jf: buf[o + 3], k: buf.readUInt32LE(o + 4) });
  }
  return { arch, insns };
}
function run(insns, data) {
  // data: seccomp_data as 16 u32 words (nr, arch, ip lo/hi, args lo/hi x6)
  let A = 0, X = 0, pc = 0, count = 0;
  const M = new Array(16).fill(0);
  for (;;) {
    const { code, jt, jf, k } = insns[pc];
    count++;
    const cls = code & 7;
    if (cls === 0) { // LD
      if ((code & 0xe0) === 0x20) A = data[k / 4] >>> 0; // abs
      else if ((code & 0xe0) === 0x00) A = k >>> 0; // imm
      else if ((code & 0xe0) === 0x60) A = M[k];
      pc++;
    } else if (cls === 1) { X = (code & 0xe0) === 0x60 ? M[k] : k >>> 0; pc++; }
    else if (cls === 2) { M[k] = A; pc++; }
    else if (cls === 3) { M[k] = X; pc++; }
    else if (cls === 4) { // ALU
      const src = code & 8 ? X : k;
      switch (code & 0xf0) {
        case 0x00: A = (A + src) >>> 0; break;
        case 0x10: A = (A - src) >>> 0; break;
        case 0x20: A = Math.imul(A, src) >>> 0; break;
        case 0x30: A = src ? Math.floor(A / src) >>> 0 : 0; break;
        case 0x40: A = (A | src) >>> 0; break;
        case 0x50: A = (A & src) >>> 0; break;
        case 0x60: A = (A << (src & 31)) >>> 0; break;
        case 0x70: A = A >>> (src & 31); break;
        case 0x80: A = (-A) >>> 0; break;
        case 0x90: A = src ? A % src : 0; break;
        case 0xa0: A = (A ^ src) >>> 0; break;
      }
      pc++;
    } else if (cls === 5) { // JMP
      const src = code & 8 ? X : k;
      const op = code & 0xf0;
      if (op === 0x00) { pc += 1 + k; continue; }
      const t = op === 0x10 ? A === src : op === 0x20 ? A > src : op === 0x30 ? A >= src : (A & src) !== 0;
      pc += 1 + (t ? jt : jf);
    } else if (cls === 6) { return { ret: (code & 0x18) === 0x10 ? A : k >>> 0, count }; }
    else if (cls === 7) { if (code & 0x80) A = X; else X = A; pc++; }
  }
}

function costOfAllowed(policy, nrs) {
  const { arch, insns } = parsePolicy(policy);
  let total = 0, max = 0, n = 0;
  for (const nr of nrs) {
    const data = new Array(16).fill(0);
    data[0] = nr; data[1] = arch; data[2] = 0xdead0000; data[3] = 0x7fff;
    const r = run(insns, data);
    if (r.ret !== 0x7fff0000) continue;
    total += r.count; max = Math.max(max, r.count); n++;
  }
  return { mean: total / n, max, calls: n };
}

function timeCompile(fn) {
  const times = [];
  fn(); // warm-up
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: +times[Math.floor(times.length / 2)].toFixed(2), minMs: +times[0].toFixed(2) };
}

// A generated 400-rule profile: 400 entries over the x86_64 syscalls, one
// in four with an argument condition, one in eight denied with an errno.
function generated() {
  const names = [];
  for (let nr = 0; nr < 460 && names.length < 400; nr++) {
    const name = native.syscallName(nr, 'x86_64');
    if (name && name !== 'rt_sigreturn') names.push(name);
  }
  while (names.length < 400) names.push(names[names.length % 300]);
  const syscalls = names.map((name, i) => {
    const e = { names: [name], action: i % 8 === 7 ? 'SCMP_ACT_ERRNO' : 'SCMP_ACT_ALLOW' };
    if (i % 8 === 7) e.errnoRet = 13;
    if (i % 4 === 3 || i >= 360) e.args = [{ index: i % 6, value: 1000 + i, op: 'SCMP_CMP_EQ' }];
    return e;
  });
  return JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, syscalls });
}

const rows = [];
const profiles = [
  { name: 'default', file: defaultProfilePath() },
  { name: 'generated-400', text: generated() },
];
for (const p of profiles) {
  const compile = (binaryTree) =>
    p.file ? compileProfileFile(p.file, { binaryTree }) : compileProfileText(p.text, 'generated-400.json', { binaryTree });
  const tree = compile(true);
  const linear = compile(false);
  const allowed = [...new Set(tree.profile.rules.filter((r) => r.action.kind === 'ALLOW' && r.args.length === 0).flatMap((r) => r.names))]
    .map((n) => native.syscallNumber(n, 'x86_64'))
    .filter((nr) => nr !== null && nr >= 0);
  const cTree = costOfAllowed(tree.policy, allowed);
  const cLinear = costOfAllowed(linear.policy, allowed);
  rows.push({
    profile: p.name,
    rules: tree.profile.rules.length,
    compileBinaryTree: timeCompile(() => compile(true)),
    compileLinear: timeCompile(() => compile(false)),
    insnsBinaryTree: tree.insns,
    insnsLinear: linear.insns,
    allowedCalls: cTree.calls,
    allowedCostBinaryTree: { mean: +cTree.mean.toFixed(1), max: cTree.max },
    allowedCostLinear: { mean: +cLinear.mean.toFixed(1), max: cLinear.max },
    costRatioLinearOverTree: +(cLinear.mean / cTree.mean).toFixed(2),
  });
}

const date = new Date().toISOString().slice(0, 10);
const out = { date, host: { node: process.version, cpus: (await import('node:os')).cpus().length }, reps: REPS, rows };
const dir = join(root, 'bench', 'results');
mkdirSync(dir, { recursive: true });
writeFileSync(join(dir, `compile-${date}.json`), `${JSON.stringify(out, null, 2)}\n`);
const md = [
  `# compile bench ${date}`,
  '',
  'Compile time is the median of the runs (ms, whole pipeline: parse, validate, libseccomp, rewrite).',
  'Allowed cost = BPF instructions executed for an unconditionally allowed syscall (mean / max over all of them).',
  '',
  '| profile | rules | compile tree ms | compile linear ms | insns tree | insns linear | allowed cost tree | allowed cost linear | ratio |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r) =>
      `| ${r.profile} | ${r.rules} | ${r.compileBinaryTree.medianMs} | ${r.compileLinear.medianMs} | ${r.insnsBinaryTree} | ${r.insnsLinear} | ${r.allowedCostBinaryTree.mean} / ${r.allowedCostBinaryTree.max} | ${r.allowedCostLinear.mean} / ${r.allowedCostLinear.max} | ${r.costRatioLinearOverTree} |`,
  ),
  '',
];
writeFileSync(join(dir, `compile-${date}.md`), md.join('\n'));
process.stdout.write(md.join('\n'));
