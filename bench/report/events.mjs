/**
 * events.mjs - the synthetic violation events of the report bench (see
 * gen-events.mjs for their shape), as objects.
 */
let seed = 0x2545f491;
const rnd = () => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32);
const SYSCALLS = ['openat', 'unshare', 'mount', 'ptrace', 'bpf', 'keyctl', 'add_key', 'perf_event_open', 'setns', 'clone',
  'personality', 'kexec_load', 'init_module', 'finit_module', 'delete_module', 'iopl', 'ioperm', 'swapon', 'swapoff', 'syslog',
  'acct', 'settimeofday', 'clock_settime', 'adjtimex', 'reboot', 'sethostname', 'setdomainname', 'pivot_root', 'umount2', 'quotactl',
  'lookup_dcookie', 'move_pages', 'mbind', 'set_mempolicy', 'get_mempolicy', 'userfaultfd', 'name_to_handle_at', 'open_by_handle_at', 'vm86', 'uselib'];
const pick = (k) => Math.min(k - 1, Math.floor(k * rnd() ** 3)); // skewed towards 0
const hosts = Array.from({ length: 6 }, (_, i) => `node-${i}`);
const workloads = Array.from({ length: 24 }, (_, i) => ({
  host: hosts[i % 6], pod: `shop-${['api', 'web', 'worker', 'cron'][i % 4]}-${(i * 7919).toString(36)}`, namespace: ['shop', 'payments', 'batch'][i % 3],
  containerId: (((i + 1) * 0x9e3779b9) >>> 0).toString(16).padStart(8, '0').repeat(8), pid: 1000 + i * 37, exe: ['/usr/bin/python3.11', '/app/server', '/usr/bin/node', '/bin/busybox'][i % 4],
}));
const start = 1796200000000000000n;
const span = 3600n * 1_000_000_000n;

/** n events, deterministic (fixed-seed PRNG). */
export function* violationEvents(n) {
  seed = 0x2545f491;
  const seqs = new Map();
  let w, burst = 0, s1 = 0, s2 = 0;
  for (let i = 0; i < n; i++) {
    if (burst-- <= 0) {
      w = workloads[pick(workloads.length)];
      burst = 1 + Math.floor(rnd() * 64);
      s1 = pick(SYSCALLS.length);
      s2 = rnd() < 0.5 ? s1 : pick(SYSCALLS.length);
    }
    const s = rnd() < 0.7 ? s1 : s2;
    const syscall = SYSCALLS[s];
    const seq = seqs.get(w) ?? 0;
    seqs.set(w, seq + 1);
    const ns = start + (span * BigInt(i)) / BigInt(n);
    const site = `${w.exe.split('/').pop()}+0x${(0x1000 + s * 0x40 + Math.floor(rnd() * 8) * 0x10).toString(16)}`;
    const audit = s % 5 === 0;
    const ev = {
      time: new Date(Number(ns / 1_000_000n)).toISOString(), timeNs: ns.toString(), host: w.host, bootId: '8649c71d-7f3e-43bd-af91-61ad632232a7',
      ringPid: w.pid, ringStartNs: start.toString(), seq, pid: w.pid, tid: w.pid, comm: w.exe.split('/').pop().slice(0, 15), exe: w.exe,
      syscall, nr: 100 + s, arch: 'x86_64', args: ['0x0', '0x7ffcaed9ed40', '0x0', '0x8', '0x7ffcaed9ef40', '0x0'], ip: '0x7fe1f07890f7', callSite: site,
      action: s === 7 ? 'kill_process' : 'errno', outcome: audit ? 'allowed' : s === 7 ? 'killed' : 'denied', errno: audit ? 0 : 1,
      mode: audit ? 'audit' : 'enforce', containerId: w.containerId, pod: w.pod, namespace: w.namespace, workload: `${w.namespace}/${w.pod}`,
      policyHash: '8b881e6f14cdb1cd9ff49a5d8424ad910e631cfcd3c5b654552eba39a9ca5f03', ...(audit ? { ret: '0' } : {}),
    };
    yield ev;
  }
}
