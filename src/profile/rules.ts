/**
 * rules.ts - small helpers over normalised rules shared by explain, diff and
 * check: a canonical key for a set of argument conditions and their
 * human-readable form.
 */
import type { ArgCond } from './types.js';

/** Canonical key of ANDed conditions: equal sets give equal keys, in any order. */
export function argKeyOf(args: ArgCond[]): string {
  return args
    .map((a) => `${a.index}:${a.op}:${a.value}:${a.valueTwo}`)
    .sort()
    .join('&');
}

/** "(arg0 & 0x7e020000) == 0x0 && arg1 EQ 3"; empty for no conditions. */
export function describeConds(args: ArgCond[]): string {
  return args
    .map((a) =>
      a.op === 'MASKED_EQ' ? `(arg${a.index} & 0x${a.value.toString(16)}) == 0x${a.valueTwo.toString(16)}` : `arg${a.index} ${a.op} ${a.value}`,
    )
    .join(' && ');
}
