/**
 * report-html.test.ts - the HTML report in a real browser: Debian's
 * chromium driven by playwright-core.  A known event set
 * (test/fixtures/report/events.ndjson: 15 events + 1 duplicate, a hostile
 * workload name) is rendered by the real CLI; the page is opened from a
 * file with every request logged, and the numbers the chart and the tables
 * show are read back from the DOM.  `sigsys run --html` is checked on a real
 * workload under the real preload.  Screenshots go to build/.
 *
 * No browser, no test: a missing chromium or playwright-core fails here (setup.sh installs both).
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAggregator } from '../src/aggregate/aggregator.js';
import type { ViolationEvent } from '../src/events/types.js';
import { ensureDist, root, spawnCli, tool } from './collector-helpers.js';

const CHROMIUM = process.env.SIGSYS_CHROMIUM ?? '/usr/bin/chromium';
const fixture = join(root, 'test/fixtures/report/events.ndjson');
const fixtureProfile = join(root, 'test/fixtures/report/profile.json');

let main: string;
let dir: string;
let browser: Browser;

beforeAll(async () => {
  main = await ensureDist();
  dir = await mkdtemp(join(tmpdir(), 'sigsys-report-test-'));
  await mkdir(join(root, 'build'), { recursive: true });
  browser = await chromium.launch({ executablePath: CHROMIUM });
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

async function cli(args: string[]) {
  // From the repository root, so the page names the fixture as a reader would type it.
  const p = spawnCli(main, args, { env: { SIGSYS_LOG_LEVEL: 'warn' }, cwd: root });
  const exit = await p.exit;
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

interface Loaded {
  page: Page;
  errors: string[];
  requests: string[];
}

/** Open a page from a file, recording console errors, page errors and every request. */
async function load(file: string, screenshot?: string): Promise<Loaded> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
  page.on('dialog', (d) => {
    errors.push(`dialog: ${d.message()}`);
    void d.dismiss();
  });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(`file://${file}`, { waitUntil: 'load' });
  if (screenshot) await page.screenshot({ path: join(root, 'build', screenshot), fullPage: true });
  return { page, errors, requests };
}

const chartTotals = (page: Page) =>
  page.$$eval('#timeline-chart rect.bar', (rects) => {
    const out: Record<string, number> = {};
    for (const r of rects) {
      const s = r.getAttribute('data-syscall')!;
      out[s] = (out[s] ?? 0) + Number(r.getAttribute('data-count'));
    }
    return out;
  });

const tableRows = (page: Page) =>
  page.$$eval('#workload-table tbody tr', (trs) =>
    trs.map((tr) => ({
      workload: tr.getAttribute('data-workload'),
      syscall: tr.querySelector('.syscall')!.textContent,
      count: tr.querySelector('.count')!.textContent,
      action: tr.querySelector('.action')!.textContent,
      outcome: tr.querySelector('.outcome')!.textContent,
    })),
  );

describe('sigsys report --html (known event set, in chromium)', () => {
  let loaded: Loaded;
  beforeAll(async () => {
    const out = join(dir, 'fixture.html');
    const r = await cli(['report', 'test/fixtures/report/events.ndjson', '--profile', 'test/fixtures/report/profile.json', '--html', out]);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`wrote ${out} (15 events, 5 rows)`);
    loaded = await load(out, 'report-fixture.png');
  });

  it('loads from a file with no console errors, no dialogs and no request but the page itself', async () => {
    expect(loaded.errors).toEqual([]);
    expect(loaded.requests).toEqual([expect.stringMatching(/^file:\/\/.*fixture\.html$/)]);
    expect(await loaded.page.$$eval('script, link, img, iframe', (e) => e.length)).toBe(0);
  });

  it('the chart draws each syscall with its count, in the right 10 s bucket', async () => {
    const { page } = loaded;
    expect(await page.isVisible('#timeline-chart')).toBe(true);
    expect(await chartTotals(page)).toEqual({ openat: 5, unshare: 5, mount: 4, ptrace: 1 });
    // openat: 3 calls in the first 10 s (the duplicate line not counted), 2 at 10:05:00.
    const openat = await page.$$eval('#timeline-chart rect.bar[data-syscall="openat"]', (rs) =>
      rs.map((r) => [r.getAttribute('data-start'), Number(r.getAttribute('data-count')), Number(r.getAttribute('height')) > 0]),
    );
    expect(openat).toEqual([
      ['2026-12-01T10:00:00.000Z', 3, true],
      ['2026-12-01T10:05:00.000Z', 2, true],
    ]);
    // Bars are as tall as their counts: 4 mount calls in one bucket = twice 2 openat calls.
    const h = async (sel: string) => Number(await page.getAttribute(sel, 'height'));
    const mount = await h('#timeline-chart rect.bar[data-syscall="mount"]');
    expect(mount).toBeCloseTo(2 * (await h('#timeline-chart rect.bar[data-syscall="openat"][data-bucket="30"]')), 1);
    const legend = await page.$$eval('#timeline-legend li', (lis) => lis.map((li) => [li.getAttribute('data-syscall'), li.querySelector('.n')!.textContent]));
    expect(legend).toEqual([
      ['openat', '5'],
      ['unshare', '5'],
      ['mount', '4'],
      ['ptrace', '1'],
    ]);
    expect(await page.textContent('#timeline svg .axis-label')).toBe('violations per 10 s');
  });

  it('the totals, the workloads x syscalls table and the call sites show the fixture numbers', async () => {
    const { page } = loaded;
    const totals = await page.$$eval('#totals li', (lis) => Object.fromEntries(lis.map((li) => [li.getAttribute('data-key'), li.querySelector('.v')!.textContent])));
    expect(totals).toEqual({ events: '15', syscalls: '4', workloads: '3', processes: '4', hosts: '2', duplicates: '1' });
    expect(await tableRows(page)).toEqual([
      { workload: 'batch/cron', syscall: 'unshare', count: '2', action: 'errno(EPERM)', outcome: 'denied' },
      { workload: 'batch/cron', syscall: 'ptrace', count: '1', action: 'kill_process', outcome: 'killed' },
      { workload: 'evil/<script>alert(1)</script>', syscall: 'mount', count: '4', action: 'errno', outcome: 'allowed' },
      { workload: 'shop/api', syscall: 'openat', count: '5', action: 'errno(EACCES)', outcome: 'denied' },
      { workload: 'shop/api', syscall: 'unshare', count: '3', action: 'errno(EPERM)', outcome: 'denied' },
    ]);
    // A hostile name is text, not markup.
    expect(await page.textContent('#workload-table th.workload:text("evil")')).toBe('evil/<script>alert(1)</script>');
    const sites = await page.$$eval('#callsite-table tbody tr', (trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent)));
    expect(sites[0]).toEqual(['server+0x4a10', 'openat', '/app/server', '1', '5']);
    expect(sites[1]).toEqual(['x+0x10', 'mount', '/tmp/<b>x</b>', '1', '4']);
    expect(sites).toHaveLength(5);
  });

  it('the verdict fails the run and the diff allows exactly the denied syscalls', async () => {
    const { page } = loaded;
    expect(await page.getAttribute('#verdict', 'data-level')).toBe('fail');
    expect(await page.textContent('#verdict h2')).toBe('FAIL: 10 calls denied, 1 call that killed its process — the workload does not run cleanly under this profile');
    const added = await page.$$eval('#profile-diff .add', (s) => s.map((x) => x.textContent));
    expect(added).toContain('+      "names": ["mount", "openat", "ptrace", "unshare"],');
    expect(added).toContain('+      "action": "SCMP_ACT_ALLOW",');
    const removed = await page.$$eval('#profile-diff .del', (s) => s.map((x) => x.textContent));
    expect(removed).toContain('-      "action": "SCMP_ACT_KILL_PROCESS"');
  });
});

describe('sigsys run --html (real workload under the preload)', () => {
  it('the page of one run: verdict, the denied calls in chart and table, the exit status', async () => {
    const out = join(dir, 'run.html');
    const events = join(dir, 'run.ndjson');
    const p = spawnCli(main, ['run', '--html', out, '--out', events, '--', tool('sigsys-wl-calls'), 'acct=3', 'keyctl=2', 'getpid=1', 'exit=3'], { env: { SIGSYS_LOG_LEVEL: 'warn' } });
    const exit = await p.exit;
    expect(exit.code).toBe(3);
    const { page, errors } = await load(out, 'report-run.png');
    expect(errors).toEqual([]);
    expect(await chartTotals(page)).toEqual({ acct: 3, keyctl: 2 });
    expect((await tableRows(page)).map((r) => [r.syscall, r.count, r.action, r.outcome])).toEqual([
      ['acct', '3', 'errno(EPERM)', 'denied'],
      ['keyctl', '2', 'errno(EPERM)', 'denied'],
    ]);
    expect(await page.textContent('#verdict h2')).toMatch(/^FAIL: 5 calls denied/);
    expect(await page.textContent('#run-info')).toContain('code 3 (status 3)');
    expect(await page.$$eval('#profile-diff .add', (s) => s.map((x) => x.textContent))).toContain('+      "names": ["acct", "keyctl"],');

    // The run's events as NDJSON, reported later without --profile: their
    // policyHash is the default profile's, so the diff is against it.
    const later = join(dir, 'later.html');
    const r = await cli(['report', events, '--html', later]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/warning/);
    const l = await load(later);
    expect(l.errors).toEqual([]);
    expect(await chartTotals(l.page)).toEqual({ acct: 3, keyctl: 2 });
    expect(await l.page.textContent('#profile-diff .hdr')).toBe('--- a/default.json');
    expect(await l.page.$$eval('#profile-diff .add', (s) => s.map((x) => x.textContent))).toContain('+      "names": ["acct", "keyctl"],');
  });
});

describe('sigsys report --aggregate (the aggregator\'s /report over HTTP)', () => {
  let server: Server;
  let url: string;
  beforeAll(async () => {
    // The real aggregator fold (dedupe, per-minute timeline, call sites) over the fixture; served as GET /report.
    const agg = createAggregator();
    for (const line of (await readFile(fixture, 'utf8')).trimEnd().split('\n')) agg.add(JSON.parse(line) as ViolationEvent);
    server = createServer((req, res) => {
      if (req.url === '/report') res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(agg.report()));
      else res.writeHead(404).end('not found');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('the fleet page shows the same counts per workload and syscall, a per-minute chart and the call sites', async () => {
    const out = join(dir, 'fleet.html');
    const r = await cli(['report', '--aggregate', url, '--profile', fixtureProfile, '--html', out]);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(0);
    const { page, errors } = await load(out, 'report-fleet.png');
    expect(errors).toEqual([]);
    expect(await chartTotals(page)).toEqual({ openat: 5, unshare: 5, mount: 4, ptrace: 1 });
    expect(await page.textContent('#timeline svg .axis-label')).toBe('violations per 1 min');
    expect((await tableRows(page)).map((x) => [x.workload, x.syscall, x.count, x.outcome])).toEqual([
      ['batch/cron', 'unshare', '2', 'denied'],
      ['batch/cron', 'ptrace', '1', 'killed'],
      ['evil/<script>alert(1)</script>', 'mount', '4', 'allowed'],
      ['shop/api', 'openat', '5', 'denied'],
      ['shop/api', 'unshare', '3', 'denied'],
    ]);
    expect(await page.$$eval('#callsite-table tbody tr', (t) => t.length)).toBe(5);
    expect(await page.getAttribute('#verdict', 'data-level')).toBe('fail');
    // The aggregate has no pids: the page says "unknown", not 0.
    expect(await page.textContent('#totals li[data-key="processes"] .v')).toBe('–');
  });
});

describe('sigsys report: bad input is one line naming the place, exit 2', () => {
  let closedPort = 0;
  beforeAll(async () => {
    // A port nobody listens on: bound, then released.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    closedPort = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
  });
  const cases: { name: string; content?: string; args: (f: string) => string[]; code: number; err: RegExp }[] = [
    { name: 'a line that is not JSON', content: '{"syscall":"openat","action":"errno","outcome":"denied","timeNs":"1"}\nnot json\n', args: (f) => ['report', f], code: 2, err: /bad\.ndjson:2: not JSON/ },
    { name: 'a JSON line that is not an event', content: '{"hello":1}\n', args: (f) => ['report', f], code: 2, err: /bad\.ndjson:1: field "syscall" missing or not a string/ },
    { name: 'a missing file', args: () => ['report', '/nonexistent/events.ndjson'], code: 2, err: /\/nonexistent\/events\.ndjson: .*no such file/i },
    { name: 'both inputs', args: (f) => ['report', f, '--aggregate', 'http://127.0.0.1:1'], code: 2, err: /not both/ },
    { name: 'a --profile that is not there', args: (f) => ['report', f, '--profile', '/nonexistent/p.json'], code: 2, err: /^sigsys: \/nonexistent\/p\.json: .*(no such file|ENOENT)/i },
    { name: 'a bad --jobs', args: (f) => ['report', f, '--jobs', 'many'], code: 2, err: /report: --jobs must be an integer in \[1, 64\], not "many"/ },
    { name: 'no input', args: () => ['report', '--html', '/tmp/x.html'], code: 2, err: /no input/ },
    { name: 'an aggregator that is not there', args: () => ['report', '--aggregate', `http://127.0.0.1:${closedPort}/`], code: 1, err: /--aggregate http:\/\/127\.0\.0\.1:\d+\/report: .*ECONNREFUSED/ },
    { name: 'an unwritable --html', content: '', args: (f) => ['report', f, '--html', '/nonexistent/dir/out.html'], code: 2, err: /--html \/nonexistent\/dir\/out\.html: .*no such file/i },
  ];
  for (const c of cases) {
    it(c.name, async () => {
      const f = join(dir, 'bad.ndjson');
      await writeFile(f, c.content ?? '');
      const r = await cli(c.args(f));
      expect(r.code).toBe(c.code);
      const lines = r.stderr.trimEnd().split('\n');
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(c.err);
    });
  }
});
