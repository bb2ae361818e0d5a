/**
 * loader.ts - finds and loads the native parts: sigsys.node (the addon) and
 * libsigsys.so (the preload).  When a file is missing the error names every
 * path that was tried and how to build it, like node-pty's loader.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NativeLoadError } from '../errors.js';
import type { SigsysNative } from './native.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository (or installed package) root: src/native or dist/native -> ../.. */
export const packageRoot = resolve(here, '..', '..');

function candidates(file: string): string[] {
  const list: string[] = [];
  for (const dir of ['build/native/Release', 'build/Release', 'build/Debug', 'prebuilds']) {
    list.push(join(packageRoot, dir, file));
  }
  return list;
}

function find(envVar: string, file: string, what: string): string {
  const fromEnv = process.env[envVar];
  if (fromEnv) {
    // An explicit path is a promise: never fall back to another build silently.
    const p = resolve(fromEnv);
    if (existsSync(p)) return p;
    throw new NativeLoadError(`cannot find ${what}: ${envVar}=${fromEnv} does not exist`);
  }
  const tried = candidates(file);
  const found = tried.find((p) => existsSync(p));
  if (found) return found;
  throw new NativeLoadError(
    `cannot find ${what} (${file}); tried:\n${tried.map((p) => `  ${p}`).join('\n')}\n` +
      `build it with 'bash scripts/setup.sh' or point ${envVar} at it`,
  );
}

let cached: SigsysNative | undefined;

/** Load sigsys.node once. $SIGSYS_ADDON overrides the search. */
export function loadNative(): SigsysNative {
  if (cached) return cached;
  const path = addonPath();
  try {
    cached = createRequire(import.meta.url)(path) as SigsysNative;
  } catch (err) {
    throw new NativeLoadError(`cannot load ${path}: ${(err as Error).message}`, { cause: err });
  }
  return cached;
}

/** Path of sigsys.node without loading it ($SIGSYS_ADDON overrides the search). */
export function addonPath(): string {
  return find('SIGSYS_ADDON', 'sigsys.node', 'the sigsys addon');
}

/** Path of libsigsys.so for LD_PRELOAD. $SIGSYS_PRELOAD overrides the search. */
export function preloadPath(): string {
  return find('SIGSYS_PRELOAD', 'libsigsys.so', 'the sigsys preload library');
}

/** Path of sigsys-exec (the launcher and supervisor). $SIGSYS_EXEC overrides the search. */
export function execPath(): string {
  return find('SIGSYS_EXEC', 'sigsys-exec', 'the sigsys launcher');
}
