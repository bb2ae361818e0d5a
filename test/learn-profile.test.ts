/**
 * src/learn/learn.ts without running anything: how a base and the learned
 * names become a profile (the compiler accepts it and gives the learned calls
 * ALLOW, checked with the real addon's BPF evaluator), what --merge reads
 * back, exact 64-bit numbers, shell quoting in the comment.
 */
import { describe, expect, it } from 'vitest';
import {
  allowIn,
  BOOTSTRAP_SYSCALLS,
  buildLearnedProfile,
  defaultBase,
  describeSource,
  formatProfile,
  PRELOAD_SYSCALLS,
  readPrevious,
  shellLine,
  type Base,
} from '../src/learn/learn.js';
import { notAllowed, planLearning } from '../src/learn/plan.js';
import { parseJson } from '../src/profile/parse.js';
import { compileProfileText } from '../src/profile/compile.js';

const base = (text: string): Base => ({ file: 'base.json', seccomp: parseJson(text, 'base.json') as Base['seccomp'] });
const when = new Date('2026-11-23T12:00:00.123Z');

describe('learned profiles', () => {
  it.each([
    ['audit', ['execve', 'exit_group', 'rt_sigreturn', 'clock_gettime'], ['mmap', 'openat', 'write', 'getdents64', 'socket', 'uname', 'ftruncate']],
    ['enforce', ['execve', 'exit_group', 'uname', 'ftruncate', 'mmap', 'openat'], ['write', 'getdents64', 'socket']],
  ] as const)('the default base denies everything; learning in %s mode allows only what cannot be observed', (mode, allowedWhileLearning, trapped) => {
    const plan = planLearning(defaultBase('x86_64'), mode);
    expect(plan.bootstrap).toEqual([...BOOTSTRAP_SYSCALLS]);
    expect(plan.preload).toEqual([...PRELOAD_SYSCALLS]);
    const compiled = compileProfileText(formatProfile(plan.learningProfile), 'learn', { mode });
    expect(notAllowed(compiled, allowedWhileLearning)).toEqual([]);
    // the preload's exec-time calls trap in audit mode, so the command's own use of them is learned
    expect(notAllowed(compiled, trapped)).toEqual([...trapped]);
  });

  it.each([
    [
      'names are taken out of denying entries; emptied entries go; ALLOW entries and other names stay',
      '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["acct","swapoff"],"action":"SCMP_ACT_ERRNO"},{"name":"keyctl","action":"SCMP_ACT_KILL"},{"names":["acct"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":0,"op":"SCMP_CMP_EQ"}]}]}',
      ['acct', 'keyctl'],
      [
        { names: ['swapoff'], action: 'SCMP_ACT_ERRNO' },
        { names: ['acct'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 0, op: 'SCMP_CMP_EQ' }] },
      ],
    ],
    ['nothing to take out', '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}', ['write'], [{ names: ['read'], action: 'SCMP_ACT_ALLOW' }]],
  ])('allowIn: %s', (_n, text, names, expected) => {
    const out = allowIn(base(text).seccomp, names, []);
    expect(JSON.parse(formatProfile(out)).syscalls).toEqual(expected);
  });

  it('buildLearnedProfile: base fields kept, learned names sorted in one ALLOW rule, the rest in rules of their own; the compiler allows them all', () => {
    const b = defaultBase('x86_64');
    const plan = planLearning(b);
    const p = buildLearnedProfile({ base: b, plan, names: ['write', 'getdents64', 'openat', 'write'], sources: [describeSource(['ls', '/'], when)] });
    const json = JSON.parse(formatProfile(p));
    expect(json).toMatchObject({ defaultAction: 'SCMP_ACT_ERRNO', defaultErrnoRet: 1, architectures: ['SCMP_ARCH_X86_64'] });
    expect(json.syscalls[0]).toEqual({
      names: ['getdents64', 'openat', 'write'],
      action: 'SCMP_ACT_ALLOW',
      comment: 'learned by sigsys [files and I/O] from `ls /` on 2026-11-23T12:00:00Z - only as complete as these runs: calls they did not make get the default action',
    });
    expect(json.syscalls[1].names).not.toContain('openat'); // learned already
    expect(json.syscalls[1].names).toContain('rt_sigreturn');
    expect(json.syscalls[1].names).not.toContain('mmap'); // the loader is observed now, never added unobserved
    expect(json.syscalls[2].names).toEqual([...PRELOAD_SYSCALLS].filter((n) => n !== 'openat').sort()); // openat learned already
    const compiled = compileProfileText(formatProfile(p), 'learned.json', { mode: 'enforce' });
    expect(notAllowed(compiled, ['getdents64', 'openat', 'write', 'execve', 'uname', 'mmap'])).toEqual([]);
    expect(notAllowed(compiled, ['socket', 'acct'])).toEqual(['socket', 'acct']);
  });

  it('numbers are written exactly as read (64-bit argument values)', () => {
    const text = '{"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[{"names":["bpf"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":18446744073709551615,"valueTwo":0,"op":"SCMP_CMP_EQ"}]}]}';
    const out = formatProfile(base(text).seccomp);
    expect(out).toContain('"value": 18446744073709551615');
    expect(out).toContain('"defaultErrnoRet": 38');
  });

  it.each([
    ['one learned rule (written before groups)', [{ names: ['a', 'b'], comment: 'learned by sigsys from `x` on D - only as complete as these runs: calls they did not make get the default action' }], ['a', 'b'], ['`x` on D'], {}],
    [
      'grouped rules and an argument rule, two runs',
      [
        { names: ['read'], comment: 'learned by sigsys [files and I/O] from `x, y` on D1, `z` on D2 - only as complete as these runs: calls they did not make get the default action' },
        { names: ['clone'], args: [{ index: 0, value: 2114060288, valueTwo: 0, op: 'SCMP_CMP_MASKED_EQ' }], comment: 'learned by sigsys [clone with namespace flags no namespace flags] from `x, y` on D1, `z` on D2 - only as complete as these runs' },
        { names: ['clone'], args: [{ index: 0, value: 2114060288, valueTwo: 67108864, op: 'SCMP_CMP_MASKED_EQ' }], comment: 'learned by sigsys [clone with namespace flags CLONE_NEWUTS] from `x, y` on D1, `z` on D2 - only as complete as these runs' },
      ],
      ['read'],
      ['`x, y` on D1', '`z` on D2'],
      { clone: [0n, 0x4000000n] },
    ],
    ['a run that learned nothing (only the bootstrap rule)', [{ names: ['mmap'], comment: 'allowed by sigsys learn without being observed: ...' }], [], [], {}],
  ])('readPrevious: %s', (_n, rules, names, sources, args) => {
    const text = formatProfile(parseJson(JSON.stringify({ defaultAction: 'SCMP_ACT_ERRNO', syscalls: rules.map((r) => ({ ...r, action: 'SCMP_ACT_ALLOW' })) }), 'p.json'));
    const prev = readPrevious('p.json', text);
    expect(prev.names).toEqual(names);
    expect(prev.sources).toEqual(sources);
    expect(Object.fromEntries([...prev.argValues].map(([k, v]) => [k, [...v]]))).toEqual(args);
  });

  it('readPrevious: a profile sigsys learn did not write is refused with its file and JSON path', () => {
    expect(() => readPrevious('p.json', '{"defaultAction":"SCMP_ACT_ERRNO","syscalls":[{"names":["read"],"action":"SCMP_ACT_ALLOW"}]}')).toThrow(
      /^p\.json: \$\.syscalls: no rule learned by sigsys/,
    );
  });

  it.each([
    [['ls', '/'], 'ls /'],
    [['sh', '-c', "echo 'hi'; ls"], `sh -c 'echo '\\''hi'\\''; ls'`],
    [['a b', ''], "'a b' ''"],
  ])('shellLine %j', (cmd, line) => {
    expect(shellLine(cmd)).toBe(line);
  });
});
