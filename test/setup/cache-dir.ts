/**
 * cache-dir.ts - vitest globalSetup: one private learning-policy cache
 * (src/learn/policy-cache.ts) for the whole run, instead of the user's
 * ~/.cache/sigsys, so no test depends on what an earlier run (or the user)
 * left there and none writes into the home directory.  Tests that are about
 * the cache set SIGSYS_CACHE_DIR themselves.  A SIGSYS_CACHE_DIR set by the
 * caller is kept.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): (() => void) | void {
  if (process.env.SIGSYS_CACHE_DIR) return;
  const dir = mkdtempSync(join(tmpdir(), 'sigsys-test-cache-'));
  process.env.SIGSYS_CACHE_DIR = dir;
  return () => rmSync(dir, { recursive: true, force: true });
}
