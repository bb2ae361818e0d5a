/**
 * caps.ts - capability names for includes/excludes.caps and `--caps`.
 * Names are compared in the `CAP_X` form Docker uses; `X`, `cap_x` and
 * `CAP_X` are all accepted as input.
 */

/** Linux capabilities known to the kernel (capability.h), in order. */
export const KNOWN_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_DAC_READ_SEARCH', 'CAP_FOWNER', 'CAP_FSETID', 'CAP_KILL',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETPCAP', 'CAP_LINUX_IMMUTABLE', 'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST', 'CAP_NET_ADMIN', 'CAP_NET_RAW', 'CAP_IPC_LOCK', 'CAP_IPC_OWNER',
  'CAP_SYS_MODULE', 'CAP_SYS_RAWIO', 'CAP_SYS_CHROOT', 'CAP_SYS_PTRACE', 'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN', 'CAP_SYS_BOOT', 'CAP_SYS_NICE', 'CAP_SYS_RESOURCE', 'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG', 'CAP_MKNOD', 'CAP_LEASE', 'CAP_AUDIT_WRITE', 'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP', 'CAP_MAC_OVERRIDE', 'CAP_MAC_ADMIN', 'CAP_SYSLOG', 'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND', 'CAP_AUDIT_READ', 'CAP_PERFMON', 'CAP_BPF', 'CAP_CHECKPOINT_RESTORE',
] as const;

/** Docker's default capability set for containers (moby oci/caps/defaults.go). */
export const DOCKER_DEFAULT_CAPS = [
  'CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW',
  'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE',
];

/** `sys_admin` / `SYS_ADMIN` / `cap_sys_admin` -> `CAP_SYS_ADMIN`. */
export function normaliseCap(name: string): string {
  const up = name.trim().toUpperCase();
  return up.startsWith('CAP_') ? up : `CAP_${up}`;
}

export function isKnownCap(name: string): boolean {
  return (KNOWN_CAPS as readonly string[]).includes(normaliseCap(name));
}

/**
 * Parse a `--caps` value: a comma-separated list, `ALL`, `none`/empty, or
 * `+CAP`/`-CAP` items applied to Docker's default set (like --cap-add/--cap-drop).
 * Returns the set, or the first unknown name.
 */
export function parseCapsOption(value: string): { caps: Set<string> } | { unknown: string } {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
  const relative = items.length > 0 && items.every((s) => s.startsWith('+') || s.startsWith('-'));
  const caps = new Set<string>(relative ? DOCKER_DEFAULT_CAPS : []);
  for (const item of items) {
    const bare = item.replace(/^[+-]/, '');
    if (bare.toUpperCase() === 'ALL') {
      if (item.startsWith('-')) caps.clear();
      else for (const c of KNOWN_CAPS) caps.add(c);
      continue;
    }
    if (bare.toUpperCase() === 'NONE') {
      caps.clear();
      continue;
    }
    if (!isKnownCap(bare)) return { unknown: item };
    if (item.startsWith('-')) caps.delete(normaliseCap(bare));
    else caps.add(normaliseCap(bare));
  }
  return { caps };
}
