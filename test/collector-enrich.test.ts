/**
 * Enrichment: container ids from real-world cgroup paths, call sites from
 * RingMeta mappings, syscall names through a cached lookup, workload choice,
 * and exact 64-bit formatting of what protobufjs hands over.
 */
import { describe, expect, it } from 'vitest';
import { callSiteOf, createEnricher, createRingContext, hex64, parseCgroup, toBig, type DecodedRingMeta } from '../src/events/enrich.js';

const ID = 'a'.repeat(16) + '0123456789abcdef'.repeat(3);

describe('container id from the cgroup path', () => {
  it.each([
    ['Docker cgroup v1 /docker/<id>', `12:memory:/docker/${ID}\n0::/docker/${ID}`, ID, 'docker', ''],
    ['Docker systemd driver docker-<id>.scope', `0::/system.slice/docker-${ID}.scope`, ID, 'docker', ''],
    ['containerd under kubepods (systemd)', `0::/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod0f1e2d3c_4b5a_6978_8a9b_0c1d2e3f4a5b.slice/cri-containerd-${ID}.scope`, ID, 'containerd', '0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b'],
    ['CRI-O crio-<id>.scope', `0::/kubepods.slice/kubepods-pod11111111_2222_3333_4444_555555555555.slice/crio-${ID}.scope`, ID, 'crio', '11111111-2222-3333-4444-555555555555'],
    ['Podman libpod-<id>.scope', `0::/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-${ID}.scope/container`, ID, 'podman', ''],
    ['kubepods cgroupfs /kubepods/burstable/pod<uid>/<id>', `11:cpu:/kubepods/burstable/pod6b0cf5a1-1111-2222-3333-444455556666/${ID}`, ID, '', '6b0cf5a1-1111-2222-3333-444455556666'],
    ['a host process has none', '0::/user.slice/user-0.slice/session-1.scope', '', '', ''],
    ['empty text', '', '', '', ''],
  ])('%s', (_name, text, id, runtime, podUid) => {
    expect(parseCgroup(text)).toEqual({ containerId: id, runtime, podUid });
  });
});

describe('call sites from RingMeta mappings', () => {
  const ctx = createRingContext({
    maps: [
      { start: 0x7f0000001000, end: 0x7f0000020000, offset: 0x1000, path: '/usr/lib/x86_64-linux-gnu/libc.so.6' },
      { start: 0x555555554000, end: 0x555555556000, offset: 0, path: '/opt/app/server' },
    ],
  });
  it.each([
    ['an address in libc is libc+file offset', 0x7f0000001234n, 'libc.so.6+0x1234'],
    ['an address in the executable', 0x555555554abcn, 'server+0xabc'],
    ['the first byte past a mapping is outside it', 0x7f0000020000n, '0x7f0000020000'],
    ['an address in no mapping stays an address', 0x1000n, '0x1000'],
  ])('%s', (_n, ip, want) => {
    expect(callSiteOf(ctx.maps, ip)).toBe(want);
  });
});

describe('enrich', () => {
  it('fills every ViolationEvent field from the violation and its ring', () => {
    const calls: string[] = [];
    const enricher = createEnricher({ syscallName: (nr, arch) => (calls.push(`${arch}:${nr}`), nr === 163 ? 'acct' : undefined) });
    const ctx = createRingContext(
      {
        host: 'node1', pid: 42, bootId: 'boot', exe: '/usr/bin/app', comm: 'app', cgroup: `0::/docker/${ID}`,
        policyHash: new Uint8Array([0xde, 0xad]), mode: 1, pidNs: { low: 5, high: 0, unsigned: true },
        maps: [{ start: 0x1000, end: 0x2000, offset: 0, path: '/usr/bin/app' }],
      },
      42,
    );
    const ev = enricher.enrich(
      {
        timeNs: { low: 0x5f5e100, high: 0x18873b3f, unsigned: true }, seq: 7, pid: 43, tid: 44, nr: 163, arch: 0xc000003e,
        args: [0, '18446744073709551615', 2n, { low: -1, high: 0, unsigned: true }], ip: 0x1010, action: 4, outcome: 1, errnoRet: 1, mode: 1,
      },
      ctx,
    );
    const ns = (0x18873b3fn << 32n) | 0x5f5e100n;
    expect(ev).toEqual({
      time: new Date(Number(ns / 1_000_000n)).toISOString(), timeNs: ns.toString(), host: 'node1', bootId: 'boot', ringPid: 42, ringStartNs: expect.any(String), seq: 7,
      pid: 43, tid: 44, comm: 'app', exe: '/usr/bin/app', syscall: 'acct', nr: 163, arch: 'x86_64',
      args: ['0x0', '0xffffffffffffffff', '0x2', '0xffffffff', '0x0', '0x0'], ip: '0x1010', callSite: 'app+0x10',
      action: 'errno', outcome: 'denied', errno: 1, mode: 'enforce', containerId: ID, pod: '', namespace: '', workload: ID, policyHash: 'dead',
      identity: 'unknown', writerUid: 0, source: 'handler',
    });
    enricher.enrich({ nr: 163, arch: 0xc000003e }, ctx);
    expect(calls).toEqual(['x86_64:163']); // cached
    expect(enricher.enrich({ nr: 999, arch: 0xc000003e }, ctx).syscall).toBe('nr:999');
    expect(enricher.enrich({ nr: 0x40000000, arch: 0xc000003e }, ctx).arch).toBe('x32');
  });

  it.each([
    ['container id wins', { cgroup: `0::/docker/${ID}`, pod: 'p', namespace: 'ns', exe: '/x' }, ID],
    ['then namespace/pod', { pod: 'web-1', namespace: 'prod', exe: '/x' }, 'prod/web-1'],
    ['then pod alone', { pod: 'web-1', exe: '/x' }, 'web-1'],
    ['then the exe', { exe: '/usr/bin/x' }, '/usr/bin/x'],
    ['nothing known', {}, 'unknown'],
  ])('workload: %s', (_n, meta, want) => {
    expect(createRingContext(meta).workload).toBe(want);
  });

  it.each([
    ['Long unsigned max', { low: -1, high: -1, unsigned: true }, '0xffffffffffffffff'],
    ['Long signed -1', { low: -1, high: -1, unsigned: false }, '0xffffffffffffffff'],
    ['decimal string', '4096', '0x1000'],
    ['number', 255, '0xff'],
    ['undefined', undefined, '0x0'],
  ])('64-bit values: %s', (_n, v, want) => {
    expect(hex64(v)).toBe(want);
    expect(typeof toBig(v)).toBe('bigint');
  });
});

describe('event source (RingMeta.source, field 16)', () => {
  it.each([
    ['a ring from before the field (handler)', {}, 'handler'],
    ['a handler ring', { source: 1 }, 'handler'],
    ['a sigsys-exec supervisor ring', { source: 2, writerPid: 77 }, 'supervisor'],
    ['a supervisor ring decoded with enum names', { source: 'SOURCE_SUPERVISOR' }, 'supervisor'],
  ] as const)('%s: every event says %s', (_name, meta, want) => {
    const ctx = createRingContext(meta as DecodedRingMeta, 1, '0');
    expect(createEnricher().enrich({ nr: 163, arch: 0xc000003e }, ctx).source).toBe(want);
  });
});
