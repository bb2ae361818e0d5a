/**
 * types.ts - the validated, normalised form of a Docker/OCI seccomp profile,
 * as handed to the addon's compile() and used by explain.
 */

import type { ActionKind } from '../events/schema.js';

/** Action kinds, named as in native/src/policy.h (enum sigsys_action_kind); the list is schema.ts's. */
export type { ActionKind };

export interface Action {
  kind: ActionKind;
  /** ERRNO: the errno returned; TRACE: the tracer's message data; else 0. */
  errno: number;
}

export type CmpOp = 'NE' | 'LT' | 'LE' | 'EQ' | 'GE' | 'GT' | 'MASKED_EQ';

export interface ArgCond {
  index: number;
  /** First operand (for MASKED_EQ: the mask). */
  value: bigint;
  /** Second operand (for MASKED_EQ: the value compared after masking). */
  valueTwo: bigint;
  op: CmpOp;
}

/** One libseccomp rule (one set of ANDed conditions) for some syscalls. */
export interface Rule {
  names: string[];
  action: Action;
  args: ArgCond[];
  /** JSON path of the profile entry this rule came from, e.g. `$.syscalls[3]`. */
  source: string;
  /** The entry's comment, if any. */
  comment?: string;
}

export interface NormalisedProfile {
  defaultAction: Action;
  /** libseccomp arch tokens; the first one is the target arch. */
  arches: string[];
  rules: Rule[];
  /** Entries skipped by includes/excludes, with the reason (for explain). */
  skipped: { source: string; names: string[]; reason: string }[];
  warnings: string[];
  /** Where the seccomp object sits in the file: '$' or '$.linux.seccomp'. */
  root: string;
}

export function actionToString(a: Action): string {
  switch (a.kind) {
    case 'ERRNO':
      return `SCMP_ACT_ERRNO(${a.errno})`;
    case 'TRACE':
      return `SCMP_ACT_TRACE(${a.errno})`;
    case 'USER_NOTIF':
      return 'SCMP_ACT_NOTIFY';
    default:
      return `SCMP_ACT_${a.kind}`;
  }
}

export function sameAction(a: Action, b: Action): boolean {
  return a.kind === b.kind && a.errno === b.errno;
}
