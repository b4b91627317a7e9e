import t from 'tap';
import { readFileSync } from 'node:fs';
import { isWaymarkError } from '../../../core/errors.js';
import {
  COMMANDS,
  EVENTS,
  decodeDeviceError,
  decodeEvent,
  decodeRequest,
  decodeResponse,
  encodeDeviceError,
  encodeEvent,
  encodeRequest,
  encodeResponse,
  type CommandName,
  type EventName,
} from '../../../firmware-bridge/protocol/commands.js';
import { decodeFrame, encodeFrame, FrameType, packFrame } from '../../../firmware-bridge/protocol/frame.js';
import { FrameParser } from '../../../firmware-bridge/protocol/parser.js';

interface Vector {
  name: string;
  type: 'request' | 'response' | 'event' | 'error';
  message: string;
  seq: number;
  fields: Record<string, unknown>;
  payload: string;
  decoded: string;
  wire: string;
}
const file = JSON.parse(readFileSync(new URL('../../vectors/serial-frames.json', import.meta.url), 'utf8')) as {
  valid: Vector[];
  invalid: { name: string; wire: string; reason: string }[];
};

const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromJson = (fields: Record<string, unknown>) =>
  Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v && typeof v === 'object' && 'hex' in v ? fromHex((v as { hex: string }).hex) : v]));
const TYPE = { request: FrameType.REQUEST, response: FrameType.RESPONSE, event: FrameType.EVENT, error: FrameType.ERROR } as const;

function encodePayload(v: Vector): Uint8Array {
  const fields = fromJson(v.fields) as never;
  switch (v.type) {
    case 'request':
      return encodeRequest(v.message as CommandName, fields);
    case 'response':
      return encodeResponse(v.message as CommandName, fields);
    case 'event':
      return encodeEvent(v.message as EventName, fields);
    case 'error':
      return encodeDeviceError(fields);
  }
}
function decodePayload(v: Vector, payload: Uint8Array): unknown {
  switch (v.type) {
    case 'request':
      return decodeRequest(v.message as CommandName, payload);
    case 'response':
      return decodeResponse(v.message as CommandName, payload);
    case 'event':
      return decodeEvent(v.message as EventName, payload);
    case 'error':
      return decodeDeviceError(payload);
  }
}

t.test('there are vectors for every command and event', async (t) => {
  const names = new Set(file.valid.map((v) => v.message));
  for (const c of Object.keys(COMMANDS)) t.ok(names.has(c), c);
  for (const e of Object.keys(EVENTS)) t.ok(names.has(e), e);
  t.ok(file.valid.some((v) => v.type === 'error'));
});

t.test('the encoder produces the vector bytes', async (t) => {
  for (const v of file.valid) {
    const payload = encodePayload(v);
    t.equal(toHex(payload), v.payload, `${v.name} payload`);
    const id = v.type === 'event' ? EVENTS[v.message as EventName].id : COMMANDS[v.message as CommandName].id;
    const frame = { version: 1, type: TYPE[v.type], seq: v.seq, id, payload };
    t.equal(toHex(packFrame(frame)), v.decoded, `${v.name} decoded`);
    t.equal(toHex(encodeFrame(frame)), v.wire, `${v.name} wire`);
  }
});

t.test('the decoder decodes the vector bytes', async (t) => {
  for (const v of file.valid) {
    const frame = decodeFrame(fromHex(v.wire));
    t.equal(frame.type, TYPE[v.type], `${v.name} type`);
    t.equal(frame.seq, v.seq, `${v.name} seq`);
    t.equal(toHex(frame.payload), v.payload, `${v.name} payload`);
    t.same(decodePayload(v, frame.payload), fromJson(v.fields), `${v.name} fields`);
  }
});

t.test('invalid vectors are rejected with their reason', async (t) => {
  for (const v of file.invalid) {
    try {
      decodeFrame(fromHex(v.wire));
      t.fail(`${v.name} decoded`);
    } catch (err) {
      t.ok(isWaymarkError(err, 'WAYMARK_ERR_SERIAL_FRAME'), v.name);
      t.equal((err as { details?: { reason?: string } }).details?.reason, v.reason, v.name);
    }
  }
});

t.test('the parser recovers every valid vector from all vectors back to back', async (t) => {
  const all: Uint8Array[] = [];
  file.valid.forEach((v, i) => {
    all.push(fromHex(v.wire));
    if (i < file.invalid.length) all.push(fromHex(file.invalid[i].wire));
  });
  const parser = new FrameParser();
  const frames = parser.push(Buffer.concat(all));
  t.same(frames.map((f) => toHex(packFrame(f))), file.valid.map((v) => v.decoded));
  const s = parser.stats();
  t.equal(s.frames, file.valid.length);
  t.equal(s.crcErrors + s.malformed + s.oversized, file.invalid.length);
});
