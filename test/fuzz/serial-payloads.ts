/**
 * Fuzz properties of the serial link's payload codec (firmware-bridge/protocol/commands.ts):
 * every command request and response, every event and the ERROR payload, decoded from arbitrary
 * bytes, and encoded then decoded from arbitrary field values (older layouts and trailing
 * bytes from a newer peer included).
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  COMMANDS, decodeDeviceError, decodeEvent, decodeRequest, decodeResponse, encodeDeviceError, encodeEvent, encodeRequest, encodeResponse,
  ERROR_FIELDS, EVENTS, type CommandName, type EventName, type Fields, type FieldType,
} from '../../firmware-bridge/protocol/commands.js';
import { bytesArb, parseOrRefuse, type FuzzProperty } from './harness.js';

interface Codec {
  what: string;
  fields: Fields;
  encode(value: unknown): Uint8Array;
  decode(payload: Uint8Array): unknown;
}

const CODECS: Codec[] = [
  ...(Object.keys(COMMANDS) as CommandName[]).flatMap((name): Codec[] => [
    { what: `${name} request`, fields: COMMANDS[name].request, encode: (v) => encodeRequest(name, v as never), decode: (p) => decodeRequest(name, p) },
    { what: `${name} response`, fields: COMMANDS[name].response, encode: (v) => encodeResponse(name, v as never), decode: (p) => decodeResponse(name, p) },
  ]),
  ...(Object.keys(EVENTS) as EventName[]).map((name): Codec => ({
    what: `${name} event`, fields: EVENTS[name].fields, encode: (v) => encodeEvent(name, v as never), decode: (p) => decodeEvent(name, p),
  })),
  { what: 'error payload', fields: ERROR_FIELDS, encode: (v) => encodeDeviceError(v as never), decode: decodeDeviceError },
];

const utf8Length = (s: string) => Buffer.byteLength(s, 'utf8');

function valueArb(type: FieldType): fc.Arbitrary<unknown> {
  switch (type) {
    case 'u8': return fc.integer({ min: 0, max: 0xff });
    case 'i8': return fc.integer({ min: -128, max: 127 });
    case 'u16': return fc.integer({ min: 0, max: 0xffff });
    case 'u32': return fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 0xffffffff));
    case 'bool': return fc.boolean();
    case 'address': return fc.uint8Array({ minLength: 6, maxLength: 6 });
    case 'bytes8': return fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ maxLength: 40 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 250, maxLength: 255 }) });
    case 'bytes16': return fc.oneof({ weight: 5, arbitrary: fc.uint8Array({ maxLength: 300 }) }, { weight: 1, arbitrary: fc.uint8Array({ minLength: 1000, maxLength: 2000 }) });
    case 'str8': return fc.string({ unit: 'grapheme', maxLength: 60 }).filter((s) => utf8Length(s) <= 255);
  }
}

/** A value for a field list; appended fields are present up to a random point (an older peer leaves them out). */
function structArb(fields: Fields): fc.Arbitrary<{ value: Record<string, unknown>; complete: boolean }> {
  const appended = fields.filter((f) => f[2] === 'appended').length;
  return fc.tuple(fc.tuple(...fields.map(([, type]) => valueArb(type))), fc.nat({ max: appended })).map(([values, keep]) => {
    const value: Record<string, unknown> = {};
    const cut = fields.length - appended + keep;
    fields.forEach(([name], i) => { if (i < cut) value[name] = values[i]; });
    return { value, complete: keep === appended };
  });
}

/** Compares decoded values, Uint8Array subclasses and views alike. */
function normal(v: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, x instanceof Uint8Array ? Uint8Array.from(x) : x]));
}

const codecArb = fc.nat({ max: CODECS.length - 1 }).map((i) => CODECS[i]);

const arbitraryPayloads: FuzzProperty = {
  name: 'serial: every command, response, event and error decoder on arbitrary payloads decodes or throws _SERIAL_PAYLOAD',
  runs: 60_000,
  build: () => ({
    property: fc.property(
      codecArb.chain((codec) => fc.tuple(fc.constant(codec), fc.oneof(
        bytesArb(40),
        // well-formed payloads cut or with a byte changed: the lengths inside them are what matters
        fc.tuple(structArb(codec.fields), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.boolean()).map(([{ value }, at, b, cut]) => {
          const p = codec.encode(value).slice();
          if (p.length === 0) return p;
          if (cut) return p.slice(0, at % p.length);
          p[at % p.length] = b;
          return p;
        }),
      ))),
      ([codec, payload]) => {
        const r = parseOrRefuse(`decode ${codec.what}`, ['WAYMARK_ERR_SERIAL_PAYLOAD'], () => codec.decode(payload));
        if (!r.ok) return;
        const decoded = r.value as Record<string, unknown>;
        for (const [name, , presence] of codec.fields) if (presence !== 'appended') assert.ok(name in decoded, `${name} decoded`);
        // what was decoded encodes, and decodes again to the same
        assert.deepEqual(normal(codec.decode(codec.encode(decoded)) as Record<string, unknown>), normal(decoded));
      },
    ),
  }),
};

const roundTrip: FuzzProperty = {
  name: 'serial: encode then decode gives the value back for every payload (older layouts, trailing bytes, truncation)',
  runs: 40_000,
  build: () => ({
    property: fc.property(
      codecArb.chain((codec) => fc.tuple(fc.constant(codec), structArb(codec.fields), fc.uint8Array({ minLength: 1, maxLength: 8 }), fc.nat())),
      ([codec, { value, complete }, trailing, cutAt]) => {
        const payload = codec.encode(value);
        assert.deepEqual(normal(codec.decode(payload) as Record<string, unknown>), normal(value), codec.what);
        if (complete) {
          // a newer peer's extra fields are ignored
          assert.deepEqual(normal(codec.decode(Uint8Array.from([...payload, ...trailing])) as Record<string, unknown>), normal(value));
        }
        if (payload.length > 0) {
          const cut = payload.subarray(0, cutAt % payload.length);
          const r = parseOrRefuse(`decode truncated ${codec.what}`, ['WAYMARK_ERR_SERIAL_PAYLOAD'], () => codec.decode(cut));
          if (r.ok) {
            // only an older layout may decode: the same value without some appended fields
            const got = normal(r.value as Record<string, unknown>);
            for (const [name, , presence] of codec.fields) {
              if (presence === 'appended' && !(name in got)) continue;
              assert.deepEqual(got[name], normal(value)[name], `${codec.what}.${name}`);
            }
          }
        }
      },
    ),
  }),
};

export const serialPayloadProperties: FuzzProperty[] = [arbitraryPayloads, roundTrip];
