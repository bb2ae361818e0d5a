/**
 * suggest.ts - the profile change that would remove the observed denials,
 * shown as a unified diff of the profile file: the denied syscalls are taken
 * out of every non-ALLOW rule and appended as one SCMP_ACT_ALLOW rule (the
 * same edit `sigsys learn` makes, learn.allowIn), both sides formatted alike
 * so the diff shows only the change.
 */
import { createTwoFilesPatch } from 'diff';
import { basename } from 'node:path';
import { allowIn, formatProfile, type Base } from '../learn/learn.js';
import { readBase } from '../learn/plan.js';

export { readBase, type Base };

export interface SuggestedChange {
  /** The profile the diff is against (its label: the file name as the user knows it). */
  profile: string;
  /** Syscalls the new rule allows. */
  allow: string[];
  /** Denied calls known only by number (nr:N): no name to put in a profile. */
  unnamed: string[];
  /** Unified diff; empty when nothing was denied. */
  diff: string;
}

/** `base`: readBase(profileFile) when it was read before (the report reads it while the events are read). */
export function suggestProfileChange(profileFile: string, denied: readonly string[], label = basename(profileFile), base?: Base): SuggestedChange {
  const allow = denied.filter((n) => n && !/^nr:/.test(n));
  const unnamed = denied.filter((n) => /^nr:/.test(n));
  base ??= readBase(profileFile);
  if (allow.length === 0) return { profile: label, allow, unnamed, diff: '' };
  const before = formatProfile(base.seccomp) + '\n';
  const rule = {
    names: allow,
    action: 'SCMP_ACT_ALLOW',
    comment: 'suggested by sigsys report: syscalls the workloads were denied; allow only those they really need',
  };
  const after = formatProfile(allowIn(base.seccomp, allow, [rule])) + '\n';
  const diff = createTwoFilesPatch(`a/${label}`, `b/${label}`, before, after, '', '', { context: 3 });
  // Drop the "Index:"/"====" preamble (the ---/+++ header says the same) and
  // the tab jsdiff puts after a file name for an empty header.
  const clean = diff.replace(/^(Index:.*\n)?=+\n/, '').replace(/^((?:---|\+\+\+) .*)\t$/gm, '$1');
  return { profile: label, allow, unnamed, diff: clean };
}
