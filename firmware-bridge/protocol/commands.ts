/**
 * The serial link's commands, events and device error codes as data: each entry names its id,
 * its request and response fields and its timeout, and one typed codec encodes and decodes them.
 */
import { WaymarkError } from '../../core/errors.js';

export type FieldType = 'u8' | 'u16' | 'u32' | 'i8' | 'bool' | 'address' | 'bytes8' | 'bytes16' | 'str8';
export type FieldValue<T extends FieldType> = T extends 'address' | 'bytes8' | 'bytes16'
  ? Uint8Array
  : T extends 'bool'
    ? boolean
    : T extends 'str8'
      ? string
      : number;
/**
 * A field; one marked `'appended'` was added after version 1's layout: it may be absent from
 * a payload (an older peer), then it decodes as missing. Appended fields come last.
 */
export type Field = readonly [name: string, type: FieldType] | readonly [name: string, type: FieldType, presence: 'appended'];
export type Fields = readonly Field[];
type AppendedField = readonly [string, FieldType, 'appended'];
/** The object a field list encodes from and decodes to (appended fields optional). */
export type Struct<F extends Fields> = { [E in F[number] as E extends AppendedField ? never : E[0]]: FieldValue<E[1]> } & {
  [E in F[number] as E extends AppendedField ? E[0] : never]?: FieldValue<E[1]>;
};

/** Capability bits in the HELLO response. */
export const Capability = {
  EXTENDED_ADVERTISING: 1 << 0,
  NFC: 1 << 1,
  ACTIVE_SCAN: 1 << 2,
  CODED_PHY: 1 << 3,
  /** NFC_TAP carries bootId and tapSeq; the firmware keeps taps until NFC_TAP_ACK and resends them. */
  TAP_ACK: 1 << 4,
} as const;

/** ADV_SET_DATA mode. */
export const AdvMode = { LEGACY: 0, EXTENDED: 1 } as const;
/** Legacy advertising and scan response data limit (Core spec Vol 6 Part B 2.3.1). */
export const LEGACY_ADV_DATA_MAX = 31;

/** ADV_REPORT kind. */
export const ReportKind = { LEGACY: 0, EXTENDED: 1 } as const;
/** NFC_TAP kind. */
export const TapKind = { TAG_UID: 0, ISO_DEP: 1 } as const;

export const COMMANDS = {
  HELLO: {
    id: 0x01,
    timeoutMs: 500,
    request: [['minVersion', 'u8'], ['maxVersion', 'u8']],
    response: [
      ['protocolVersion', 'u8'],
      ['firmwareMajor', 'u8'],
      ['firmwareMinor', 'u8'],
      ['firmwarePatch', 'u8'],
      ['capabilities', 'u16'],
      ['maxAdvDataLength', 'u16'],
      ['maxPayloadLength', 'u16'],
    ],
  },
  PING: { id: 0x02, timeoutMs: 500, request: [], response: [['uptimeMs', 'u32']] },
  DEVICE_INFO: {
    id: 0x03,
    timeoutMs: 500,
    request: [],
    response: [['board', 'str8'], ['address', 'address'], ['addressType', 'u8'], ['uptimeMs', 'u32']],
  },
  RESET: { id: 0x04, timeoutMs: 2000, request: [], response: [] },
  SCAN_START: {
    id: 0x10,
    timeoutMs: 1000,
    request: [['intervalUnits', 'u16'], ['windowUnits', 'u16'], ['active', 'bool'], ['filterDuplicates', 'bool']],
    response: [],
  },
  SCAN_STOP: { id: 0x11, timeoutMs: 1000, request: [], response: [] },
  ADV_SET_DATA: {
    id: 0x20,
    timeoutMs: 1000,
    request: [['mode', 'u8'], ['advData', 'bytes16'], ['scanResponse', 'bytes16']],
    response: [],
  },
  ADV_START: { id: 0x21, timeoutMs: 1000, request: [['intervalUnits', 'u16']], response: [] },
  ADV_STOP: { id: 0x22, timeoutMs: 1000, request: [], response: [] },
  NFC_POLL: { id: 0x30, timeoutMs: 1000, request: [['enabled', 'bool'], ['aid', 'bytes8']], response: [] },
  NFC_TAP_ACK: {
    id: 0x31,
    timeoutMs: 500,
    request: [['bootId', 'u32'], ['tapSeq', 'u32'], ['resend', 'bool']],
    response: [['bootId', 'u32'], ['lastTapSeq', 'u32']],
  },
} as const satisfies Record<string, { id: number; timeoutMs: number; request: Fields; response: Fields }>;

export const EVENTS = {
  BOOT: { id: 0x80, fields: [['resetReason', 'u8'], ['protocolVersion', 'u8']] },
  ADV_REPORT: {
    id: 0x81,
    fields: [
      ['kind', 'u8'],
      ['eventType', 'u16'],
      ['addressType', 'u8'],
      ['address', 'address'],
      ['rssi', 'i8'],
      ['data', 'bytes16'],
    ],
  },
  NFC_TAP: {
    id: 0x82,
    fields: [['kind', 'u8'], ['uid', 'bytes8'], ['response', 'bytes16'], ['bootId', 'u32', 'appended'], ['tapSeq', 'u32', 'appended']],
  },
  DEVICE_ERROR: { id: 0x83, fields: [['code', 'u16'], ['message', 'str8']] },
} as const satisfies Record<string, { id: number; fields: Fields }>;

/** Payload of an ERROR frame (type 0x04), the reply to a request that failed. */
export const ERROR_FIELDS = [['code', 'u16'], ['message', 'str8']] as const satisfies Fields;

/** Device error codes carried in ERROR frames and DEVICE_ERROR events. */
export const DEVICE_ERRORS = {
  UNKNOWN_COMMAND: 0x0001,
  BAD_PAYLOAD: 0x0002,
  UNSUPPORTED_VERSION: 0x0003,
  BUSY: 0x0004,
  INVALID_STATE: 0x0005,
  DATA_TOO_LONG: 0x0006,
  NOT_SUPPORTED: 0x0007,
  NOT_READY: 0x0008,
  RADIO_FAILURE: 0x0009,
  INTERNAL: 0x00ff,
} as const;
export type DeviceErrorName = keyof typeof DEVICE_ERRORS;

export function deviceErrorName(code: number): DeviceErrorName | undefined {
  return (Object.keys(DEVICE_ERRORS) as DeviceErrorName[]).find((k) => DEVICE_ERRORS[k] === code);
}

/** Reset reasons in the BOOT event. */
export const ResetReason = { POWER_ON: 0, COMMAND: 1, WATCHDOG: 2, FAULT: 3 } as const;

export type CommandName = keyof typeof COMMANDS;
export type EventName = keyof typeof EVENTS;
export type RequestOf<N extends CommandName> = Struct<(typeof COMMANDS)[N]['request']>;
export type ResponseOf<N extends CommandName> = Struct<(typeof COMMANDS)[N]['response']>;
export type EventOf<N extends EventName> = Struct<(typeof EVENTS)[N]['fields']>;
export type DeviceErrorPayload = Struct<typeof ERROR_FIELDS>;

const COMMANDS_BY_ID = new Map<number, CommandName>(
  (Object.keys(COMMANDS) as CommandName[]).map((name) => [COMMANDS[name].id, name]),
);
const EVENTS_BY_ID = new Map<number, EventName>((Object.keys(EVENTS) as EventName[]).map((name) => [EVENTS[name].id, name]));

export function commandName(id: number): CommandName | undefined {
  return COMMANDS_BY_ID.get(id);
}
export function eventName(id: number): EventName | undefined {
  return EVENTS_BY_ID.get(id);
}

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function fieldSize(type: FieldType, value: unknown): number {
  switch (type) {
    case 'u8':
    case 'i8':
    case 'bool':
      return 1;
    case 'u16':
      return 2;
    case 'u32':
      return 4;
    case 'address':
      return 6;
    case 'bytes8':
      return 1 + (value as Uint8Array).length;
    case 'bytes16':
      return 2 + (value as Uint8Array).length;
    case 'str8':
      return 1 + textEncoder.encode(value as string).length;
  }
}

function checkInt(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer ${min}..${max}, got ${String(value)}`);
  }
  return value;
}

function checkBytes(name: string, value: unknown, max: number): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (value.length > max) throw new RangeError(`${name} must be at most ${max} bytes, got ${value.length}`);
  return value;
}

/** Encode `value` by the field list; throws TypeError/RangeError naming the bad field. */
export function encodeStruct<F extends Fields>(fields: F, value: Struct<F>): Uint8Array {
  const v = value as Record<string, unknown>;
  // appended fields are written up to the first one left out (an older layout)
  const present = fields.findIndex((f) => f[2] === 'appended' && v[f[0]] === undefined);
  if (present >= 0 && fields.slice(present).some((f) => v[f[0]] !== undefined)) {
    throw new TypeError(`${fields[present]![0]} is missing but a later appended field is set`);
  }
  fields = (present < 0 ? fields : fields.slice(0, present)) as unknown as F;
  let size = 0;
  for (const [name, type] of fields) {
    if (type === 'str8' && typeof v[name] !== 'string') throw new TypeError(`${name} must be a string`);
    if ((type === 'bytes8' || type === 'bytes16' || type === 'address') && !(v[name] instanceof Uint8Array)) {
      throw new TypeError(`${name} must be a Uint8Array`);
    }
    size += fieldSize(type, v[name]);
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  let o = 0;
  for (const [name, type] of fields) {
    const x = v[name];
    switch (type) {
      case 'u8':
        out[o++] = checkInt(name, x, 0, 0xff);
        break;
      case 'i8':
        view.setInt8(o++, checkInt(name, x, -128, 127));
        break;
      case 'bool':
        if (typeof x !== 'boolean') throw new TypeError(`${name} must be a boolean`);
        out[o++] = x ? 1 : 0;
        break;
      case 'u16':
        view.setUint16(o, checkInt(name, x, 0, 0xffff), true);
        o += 2;
        break;
      case 'u32':
        view.setUint32(o, checkInt(name, x, 0, 0xffffffff), true);
        o += 4;
        break;
      case 'address': {
        const b = checkBytes(name, x, 6);
        if (b.length !== 6) throw new RangeError(`${name} must be 6 bytes, got ${b.length}`);
        out.set(b, o);
        o += 6;
        break;
      }
      case 'bytes8': {
        const b = checkBytes(name, x, 0xff);
        out[o++] = b.length;
        out.set(b, o);
        o += b.length;
        break;
      }
      case 'bytes16': {
        const b = checkBytes(name, x, 0xffff);
        view.setUint16(o, b.length, true);
        o += 2;
        out.set(b, o);
        o += b.length;
        break;
      }
      case 'str8': {
        const b = checkBytes(name, textEncoder.encode(x as string), 0xff);
        out[o++] = b.length;
        out.set(b, o);
        o += b.length;
        break;
      }
    }
  }
  return out;
}

function payloadError(what: string, detail: string): WaymarkError {
  return new WaymarkError('WAYMARK_ERR_SERIAL_PAYLOAD', `${what}: ${detail}`, { details: { what } });
}

/**
 * Decode a payload by the field list. Trailing bytes after the known fields are ignored, so a
 * later minor version may append fields; a payload too short throws WAYMARK_ERR_SERIAL_PAYLOAD.
 */
export function decodeStruct<F extends Fields>(fields: F, payload: Uint8Array, what = 'payload'): Struct<F> {
  const view = new DataView(payload.buffer, payload.byteOffset, payload.byteLength);
  const out: Record<string, unknown> = {};
  let o = 0;
  const need = (name: string, n: number) => {
    if (o + n > payload.length) throw payloadError(what, `field ${name} needs ${n} bytes at offset ${o}, payload has ${payload.length}`);
  };
  for (const [name, type, presence] of fields) {
    if (presence === 'appended' && o === payload.length) break; // an older peer's shorter layout
    switch (type) {
      case 'u8':
      case 'bool':
      case 'i8':
        need(name, 1);
        out[name] = type === 'u8' ? payload[o] : type === 'i8' ? view.getInt8(o) : payload[o] !== 0;
        o += 1;
        break;
      case 'u16':
        need(name, 2);
        out[name] = view.getUint16(o, true);
        o += 2;
        break;
      case 'u32':
        need(name, 4);
        out[name] = view.getUint32(o, true);
        o += 4;
        break;
      case 'address':
        need(name, 6);
        out[name] = payload.slice(o, o + 6);
        o += 6;
        break;
      case 'bytes8':
      case 'str8': {
        need(name, 1);
        const n = payload[o++];
        need(name, n);
        const bytes = payload.slice(o, o + n);
        o += n;
        if (type === 'bytes8') out[name] = bytes;
        else {
          try {
            out[name] = textDecoder.decode(bytes);
          } catch {
            throw payloadError(what, `field ${name} is not valid UTF-8`);
          }
        }
        break;
      }
      case 'bytes16': {
        need(name, 2);
        const n = view.getUint16(o, true);
        o += 2;
        need(name, n);
        out[name] = payload.slice(o, o + n);
        o += n;
        break;
      }
    }
  }
  return out as Struct<F>;
}

export function encodeRequest<N extends CommandName>(name: N, request: RequestOf<N>): Uint8Array {
  return encodeStruct(COMMANDS[name].request as Fields, request as never);
}
export function decodeRequest<N extends CommandName>(name: N, payload: Uint8Array): RequestOf<N> {
  return decodeStruct(COMMANDS[name].request as Fields, payload, `${name} request`) as RequestOf<N>;
}
export function encodeResponse<N extends CommandName>(name: N, response: ResponseOf<N>): Uint8Array {
  return encodeStruct(COMMANDS[name].response as Fields, response as never);
}
export function decodeResponse<N extends CommandName>(name: N, payload: Uint8Array): ResponseOf<N> {
  return decodeStruct(COMMANDS[name].response as Fields, payload, `${name} response`) as ResponseOf<N>;
}
export function encodeEvent<N extends EventName>(name: N, event: EventOf<N>): Uint8Array {
  return encodeStruct(EVENTS[name].fields as Fields, event as never);
}
export function decodeEvent<N extends EventName>(name: N, payload: Uint8Array): EventOf<N> {
  return decodeStruct(EVENTS[name].fields as Fields, payload, `${name} event`) as EventOf<N>;
}
export function encodeDeviceError(error: DeviceErrorPayload): Uint8Array {
  return encodeStruct(ERROR_FIELDS, error);
}
export function decodeDeviceError(payload: Uint8Array): DeviceErrorPayload {
  return decodeStruct(ERROR_FIELDS, payload, 'error payload');
}

/** Interval in ms to the controller's 0.625 ms units, as scan and advertising parameters use. */
export function msToUnits(ms: number): number {
  return Math.round(ms / 0.625);
}
