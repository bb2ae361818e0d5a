// timeline.cjs - `node --require` this in front of the sigsys CLI (ab.mjs):
// when the CLI exits, append to $SIGSYS_TIMELINE one JSON line with, in ms
// since the process started, when sigsys-exec was spawned ("spawn"), how
// long until its exit event ("child"), and from then to the CLI's exit
// ("post").  Patched before any ESM import, so the CLI's
// `import { spawn } from 'node:child_process'` gets this function.
'use strict';
const cp = require('node:child_process');
const fs = require('node:fs');
const { performance } = require('node:perf_hooks');
const spawn = cp.spawn;
const t = {};
cp.spawn = function timedSpawn(file, ...rest) {
  const child = spawn.call(this, file, ...rest);
  if (String(file).endsWith('sigsys-exec') && t.spawn === undefined) {
    t.spawn = performance.now();
    child.once('exit', () => (t.exit = performance.now()));
  }
  return child;
};
process.on('exit', () => {
  const end = performance.now();
  if (process.env.SIGSYS_TIMELINE) fs.appendFileSync(process.env.SIGSYS_TIMELINE, `${JSON.stringify({ spawn: t.spawn, child: t.exit - t.spawn, post: end - t.exit, end })}\n`);
});
