/**
 * policy-cache.ts - the learning run's compiled policy, kept between runs.
 *
 * Compiling the learning profile (parse, plan, libseccomp, twice) and the
 * modules it needs cost `sigsys learn` ~60 ms before the command could
 * start, every run, for the same answer.  An entry holds what the learning
 * run needs before it starts: the policy image, the plan's calls allowed
 * without being observed, the --distinct-arg0 list, the arch, and the base's
 * warnings.  It is found by a SHA-256 over everything that answer depends
 * on (cacheKey): the base's text (or that it is the default deny-all base)
 * and name, the mode, the arch, the kernel release, the addon's build
 * (path, inode, size, mtime and ctime of sigsys.node, which carries
 * libseccomp) and sigsys's own code that plans and compiles (the contents
 * of those modules).
 *
 * Where: $SIGSYS_CACHE_DIR, else $XDG_CACHE_HOME/sigsys, else
 * ~/.cache/sigsys; SIGSYS_CACHE_DIR=off turns it off.  The directory must be
 * a real directory owned by this user with no access for others (0700, made
 * so): the policy is what confines the learning run, so an entry anyone
 * else could have written is not used (the run just compiles).  Entries are
 * written to a temp file and renamed (a reader never sees half an entry),
 * carry a SHA-256 of their body (a truncated or corrupt one is a miss, and
 * is rewritten), and are pruned to the MAX_ENTRIES most recently used.
 *
 * Nothing here may fail `sigsys learn`: every error is a miss.  Only node's
 * own modules are imported: this runs before the command starts.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, constants, existsSync, fstatSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { homedir, release } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Bumped when an entry's layout or meaning changes. */
const FORMAT = 'sigsys-learn-policy-1';
/** Entries kept (most recently used first); an entry is a few KB. */
export const MAX_ENTRIES = 64;
/** Bigger than any policy the compiler writes (its program is at most 4096 instructions). */
const MAX_ENTRY_BYTES = 1 << 20;

/** What the learning run needs before it starts (src/learn/start.ts). */
export interface CachedLearningPolicy {
  policy: Buffer;
  arch: string;
  /** LearningPlan.bootstrap and .preload (learn.ts). */
  bootstrap: string[];
  preload: string[];
  /** distinctArg0(arch): sigsys-exec --distinct-arg0. */
  reportOnce: { nr: number; mask: bigint }[];
  /** The compiler's warnings about the base file. */
  warnings: string[];
}

/** The cache directory, or undefined when turned off (SIGSYS_CACHE_DIR=off). */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.SIGSYS_CACHE_DIR === 'off') return undefined;
  if (env.SIGSYS_CACHE_DIR) return env.SIGSYS_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, 'sigsys');
  return join(env.HOME || homedir(), '.cache', 'sigsys');
}

const here = dirname(fileURLToPath(import.meta.url));
/** sigsys's code that decides the learning profile and compiles it (dist/learn, dist/profile). */
const CODE_DIRS = [here, join(here, '..', 'profile')];

/**
 * The addon by path, inode, size, mtime and ctime: a rebuild or an upgrade
 * changes them, and no copy keeps ctime (cp -p and rsync -a keep mtime), so
 * no hash of ~0.5 MB at every start.
 */
function identity(path: string): string {
  const s = statSync(path);
  return `${path} ${s.ino} ${s.size} ${s.mtimeMs} ${s.ctimeMs}`;
}

export interface CacheKeyInput {
  /** The base's text; undefined: the default deny-all base. */
  baseText?: string;
  /** The base's name in messages (its path). */
  baseFile: string;
  mode: 'audit' | 'enforce';
  arch: string;
  /** Path of sigsys.node (the addon and its libseccomp). */
  addon: string;
}

/** Hex SHA-256 over everything the learning policy depends on. */
export function cacheKey(k: CacheKeyInput): string {
  const h = createHash('sha256');
  const part = (s: string) => h.update(`${Buffer.byteLength(s)}:${s}\n`);
  part(FORMAT);
  part(k.baseText === undefined ? 'default-base' : `base ${k.baseFile}`);
  if (k.baseText !== undefined) part(k.baseText);
  part(k.mode);
  part(k.arch);
  part(release());
  part(identity(k.addon));
  for (const dir of CODE_DIRS) {
    // By content: a copy that keeps timestamps (cp -p, rsync -a, packages
    // with clamped mtimes) must not carry an old key to changed code.
    for (const f of readdirSync(dir).filter((n) => /\.(js|ts)$/.test(n)).sort()) {
      part(f);
      h.update(readFileSync(join(dir, f)));
    }
  }
  return h.digest('hex');
}

/**
 * The directory, made if missing (0700), when it is safe to use: a directory
 * (not a link to one), owned by this user, no access for group or others.
 * Nothing is made inside another user's directory (unless it is sticky, like
 * /tmp): root running `sudo -E sigsys learn` with the user's HOME would
 * otherwise leave a root-owned ~/.cache (or ~/.cache/sigsys) behind, which
 * the user's own runs, and other programs, could not use.
 */
function usableDir(dir: string): boolean {
  if (!existsSync(dir)) {
    let parent = dirname(resolve(dir));
    while (!existsSync(parent) && dirname(parent) !== parent) parent = dirname(parent);
    const p = statSync(parent);
    if (p.uid !== process.getuid?.() && (p.mode & 0o1000) === 0 /* S_ISVTX */) return false;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
  const s = lstatSync(dir);
  const uid = process.getuid?.();
  return s.isDirectory() && (uid === undefined || s.uid === uid) && (s.mode & 0o077) === 0;
}

const sum = (body: string) => createHash('sha256').update(body).digest('hex');

/** The entry for `key`, or undefined (missing, unusable directory, foreign or corrupt entry). */
export function readCached(dir: string | undefined, key: string): CachedLearningPolicy | undefined {
  if (!dir) return undefined;
  try {
    if (!usableDir(dir)) return undefined;
    const path = join(dir, `${key}.json`);
    const fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
    let text: string;
    try {
      const s = fstatSync(fd);
      const uid = process.getuid?.();
      if (!s.isFile() || (uid !== undefined && s.uid !== uid) || (s.mode & 0o022) !== 0 || s.size > MAX_ENTRY_BYTES) return undefined;
      text = readFileSync(fd, 'utf8');
    } finally {
      closeSync(fd);
    }
    // "<sha256 of body>\n<body>": a truncated or altered body does not match.
    const nl = text.indexOf('\n');
    const body = text.slice(nl + 1);
    if (nl !== 64 || sum(body) !== text.slice(0, 64)) return undefined;
    const e = JSON.parse(body) as Record<string, unknown>;
    const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');
    const pairs = (v: unknown): v is [number, string][] =>
      Array.isArray(v) && v.every((p) => Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'string' && /^[0-9a-f]+$/.test(p[1]));
    if (e.key !== key || typeof e.policy !== 'string' || typeof e.arch !== 'string' || !strings(e.bootstrap) || !strings(e.preload) || !strings(e.warnings) || !pairs(e.reportOnce)) return undefined;
    // Most recently used: kept longest by prune().  A read-only cache
    // (a pre-seeded image layer) still answers.
    try {
      const now = new Date();
      utimesSync(path, now, now);
    } catch {
      // not ours to touch: the entry is still good
    }
    return {
      policy: Buffer.from(e.policy, 'base64'),
      arch: e.arch,
      bootstrap: e.bootstrap,
      preload: e.preload,
      reportOnce: e.reportOnce.map(([nr, mask]) => ({ nr, mask: BigInt(`0x${mask}`) })),
      warnings: e.warnings,
    };
  } catch {
    return undefined;
  }
}

/** Store `entry` under `key` (atomically), then prune; errors are ignored (the next run compiles again). */
export function writeCached(dir: string | undefined, key: string, entry: CachedLearningPolicy): void {
  if (!dir) return;
  let tmp: string | undefined;
  try {
    if (!usableDir(dir)) return;
    const body = JSON.stringify({
      key,
      policy: entry.policy.toString('base64'),
      arch: entry.arch,
      bootstrap: entry.bootstrap,
      preload: entry.preload,
      reportOnce: entry.reportOnce.map((k) => [k.nr, k.mask.toString(16)]),
      warnings: entry.warnings,
    });
    tmp = join(dir, `.${key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
    writeFileSync(tmp, `${sum(body)}\n${body}`, { mode: 0o600, flag: 'wx' });
    renameSync(tmp, join(dir, `${key}.json`));
    tmp = undefined;
    prune(dir);
  } catch {
    if (tmp) rmSync(tmp, { force: true });
  }
}

/** Keep the MAX_ENTRIES most recently used entries; drop temp files a killed writer left (older than a minute). */
function prune(dir: string): void {
  const names = readdirSync(dir);
  for (const n of names.filter((x) => /^\.[0-9a-f]{64}\..*\.tmp$/.test(x))) {
    try {
      if (Date.now() - statSync(join(dir, n)).mtimeMs > 60_000) rmSync(join(dir, n), { force: true });
    } catch {
      // gone already
    }
  }
  const entries = names.filter((n) => /^[0-9a-f]{64}\.json$/.test(n));
  if (entries.length <= MAX_ENTRIES) return;
  const aged = entries
    .map((n) => {
      try {
        return { n, t: statSync(join(dir, n)).mtimeMs };
      } catch {
        return { n, t: 0 };
      }
    })
    .sort((a, b) => b.t - a.t);
  for (const { n } of aged.slice(MAX_ENTRIES)) rmSync(join(dir, n), { force: true });
}
