/**
 * The event schema is written in three languages: the .proto (the contract),
 * src/events/schema.ts (TS decoders, Kafka codec, enrichment) and the C
 * headers the SIGSYS handler's encoder uses (native/src/schema.h, policy.h,
 * sup_meta.h, and the action names of rewrite.c), plus the enum names of the
 * collector's C line encoder (ndjson_encode.c).  These tests parse all
 * three and fail on any number or name that drifted.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { protoFile } from '../src/events/proto.js';
import {
  ACTIONS,
  Action,
  BatchField,
  IDENTITIES,
  Identity,
  MODES,
  MappingField,
  Mode,
  OUTCOMES,
  Outcome,
  RingMetaField,
  Source,
  ViolationField,
} from '../src/events/schema.js';

const nativeSrc = join(__dirname, '..', 'native', 'src');
const cText = (file: string): string => readFileSync(join(nativeSrc, file), 'utf8');
const root = new protobuf.Root().loadSync(protoFile, { keepCase: false });

/** camelCase (TS, protobufjs) -> UPPER_SNAKE (C). */
const upperSnake = (s: string): string => s.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

/** `#define PREFIXNAME 12u` and `PREFIXNAME = 12,` lines of a C text, as NAME -> 12. */
function cNumbers(text: string, prefix: string): Map<string, number> {
  const out = new Map<string, number>();
  const re = new RegExp(`(?:#define\\s+${prefix}(\\w+)\\s+(\\d+)u?\\b|\\b${prefix}(\\w+)\\s*=\\s*(\\d+)\\s*,)`, 'g');
  for (const m of text.matchAll(re)) out.set((m[1] ?? m[3])!, Number(m[2] ?? m[4]));
  return out;
}

function protoFields(type: string): Map<string, number> {
  return new Map(Object.values(root.lookupType(`sigsys.v1.${type}`).fields).map((f) => [f.name, f.id]));
}

function protoEnum(name: string): Map<string, number> {
  const e = root.lookupEnum(`sigsys.v1.${name}`);
  const prefix = `${upperSnake(name).slice(1)}_`;
  return new Map(Object.entries(e.values).map(([k, v]) => [k.slice(prefix.length), v]));
}

describe('the event schema: TS and the .proto agree', () => {
  it.each([
    ['Violation', ViolationField],
    ['RingMeta', RingMetaField],
    ['Mapping', MappingField],
    ['Batch', BatchField],
  ] as const)('%s: every field with the same number, none missing', (type, ts) => {
    expect(new Map(Object.entries(ts))).toEqual(protoFields(type));
  });

  it.each([
    ['Action', Action],
    ['Outcome', Outcome],
    ['Mode', Mode],
    ['Identity', Identity],
    ['Source', Source],
  ] as const)('enum %s: every value with the same number', (name, ts) => {
    expect(new Map(Object.entries(ts))).toEqual(protoEnum(name));
  });

  it.each([
    ['Action', ACTIONS],
    ['Outcome', OUTCOMES],
    ['Mode', MODES],
    ['Identity', IDENTITIES],
  ] as const)('enum %s: the event names are the proto names in lower case, unknown for UNSPECIFIED', (name, names) => {
    const expected = [...protoEnum(name)].sort((a, b) => a[1] - b[1]).map(([k]) => (k === 'UNSPECIFIED' ? 'unknown' : k.toLowerCase()));
    expect(names).toEqual(expected);
  });
});

describe('the event schema: the C headers and the .proto agree', () => {
  it.each([
    ['Violation', 'SIGSYS_VIOLATION_'],
    ['RingMeta', 'SIGSYS_RING_META_'],
    ['Mapping', 'SIGSYS_MAPPING_'],
  ] as const)('schema.h %s: each field the C encoder writes has the proto number', (type, prefix) => {
    const c = cNumbers(cText('schema.h'), prefix);
    expect(c.size).toBeGreaterThan(0);
    const proto = protoFields(type);
    const fromProto = new Map([...c.keys()].map((k) => [k, proto.get(k.toLowerCase().replace(/_([a-z])/g, (_, x: string) => x.toUpperCase()))]));
    expect(c).toEqual(fromProto);
  });

  it('schema.h Violation: the C encoder has every [handler] field of the proto (1-13 and repeat)', () => {
    const c = cNumbers(cText('schema.h'), 'SIGSYS_VIOLATION_');
    const text = readFileSync(protoFile, 'utf8');
    const handler = [...text.matchAll(/^\s*(?:repeated\s+)?\w+\s+(\w+)\s*=\s*(\d+);\s*\/\/ \[handler\]/gm)].map((m) => m[1]!.toUpperCase());
    expect(handler.length).toBe(13);
    for (const f of [...handler, 'REPEAT']) expect(c.has(f), f).toBe(true);
    expect(c.size).toBe(handler.length + 1);
  });

  it.each([
    ['policy.h', 'SIGSYS_ACT_', 'Action'],
    ['policy.h', 'SIGSYS_MODE_', 'Mode'],
    ['schema.h', 'SIGSYS_OUTCOME_', 'Outcome'],
    ['sup_meta.h', 'SIGSYS_SOURCE_', 'Source'],
  ] as const)('%s %s: every C value is the proto enum value of the same name', (file, prefix, name) => {
    const c = cNumbers(cText(file), prefix);
    expect(c.size).toBeGreaterThan(0);
    const proto = protoEnum(name);
    expect(c).toEqual(new Map([...c.keys()].map((k) => [k, proto.get(k)])));
  });

  it('policy.h Action: C names every action the proto has (UNSPECIFIED aside)', () => {
    const c = cNumbers(cText('policy.h'), 'SIGSYS_ACT_');
    expect([...c.keys()].sort()).toEqual([...protoEnum('Action').keys()].filter((k) => k !== 'UNSPECIFIED').sort());
  });

  it.each([
    ['ACTIONS', ACTIONS],
    ['OUTCOMES', OUTCOMES],
    ['MODES', MODES],
  ] as const)('ndjson_encode.c %s: the collector\'s C line encoder names enum values as events do', (table, ts) => {
    const m = new RegExp(`static const char \\*const ${table}\\[\\] = \\{([^}]*)\\}`).exec(cText('ndjson_encode.c'));
    expect(m, table).not.toBeNull();
    expect([...m![1]!.matchAll(/"(\w+)"/g)].map((x) => x[1])).toEqual([...ts]);
  });

  it('rewrite.c sigsys_action_kind_name: the C names are the event names of the same values', () => {
    const values = cNumbers(cText('policy.h'), 'SIGSYS_ACT_');
    const cases = [...cText('rewrite.c').matchAll(/case SIGSYS_ACT_(\w+): return "(\w+)";/g)];
    expect(cases.length).toBe(values.size);
    for (const [, name, text] of cases) expect(text, name).toBe(ACTIONS[values.get(name!)!]);
  });
});
