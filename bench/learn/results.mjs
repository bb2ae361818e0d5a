// results.mjs - what learn-bench.mjs and ab.mjs share: the median of a list
// (mean of the middle two for an even count), load averages as text, and
// writing a result as bench/results/<name>.json and .md under the first free
// name (never over an earlier result: -2, -3, ... appended).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export const fmt = (xs) => xs.map((x) => x.toFixed(2)).join(' ');

/** Write `result` (JSON) and `md` as bench/results/<base>[-N]; returns the name used. */
export function writeResults(base, result, md) {
  const dir = join(import.meta.dirname, '..', 'results');
  mkdirSync(dir, { recursive: true });
  let name = base;
  for (let i = 2; existsSync(join(dir, `${name}.md`)) || existsSync(join(dir, `${name}.json`)); i++) name = `${base}-${i}`;
  writeFileSync(join(dir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
  writeFileSync(join(dir, `${name}.md`), md);
  return name;
}
