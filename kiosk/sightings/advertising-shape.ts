/**
 * The advertising shape of a report: what a device keeps when it rotates its address and
 * redraws the random bytes of its payload — which AD fields it sends and how long they
 * are, its manufacturer's company id and message type, its service UUIDs, its name and
 * TX power, whether it is connectable. Two addresses of one device have the same shapes;
 * the visit linker (visits.ts) only links addresses whose shapes meet. Memory only.
 */
import type { AdvertisingReport } from '../../core/ports.js';

export type ShapeFields = Pick<AdvertisingReport, 'connectable' | 'serviceData' | 'manufacturerData' | 'localName' | 'txPowerLevel'>;

/** Shapes a session keeps (an advert and its scan response are two). */
export const MAX_SHAPES = 4;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

function mix(h: number, x: number): number {
  return Math.imul(h ^ (x & 0xffff), FNV_PRIME) ^ (x >>> 16);
}

function mixText(h: number, text: string): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), FNV_PRIME);
  return h;
}

/** A 32-bit fingerprint of the report's shape; equal for reports of the same layout. */
export function advertisingShape(r: ShapeFields): number {
  let h = mix(FNV_OFFSET, r.connectable ? 1 : 2);
  const m = r.manufacturerData;
  if (m !== undefined) {
    // company id, length, and the first payload byte (Apple's and Microsoft's message type)
    h = mix(h, 0x100 | m.length);
    h = mix(h, m.length >= 2 ? m[0]! | (m[1]! << 8) : 0x10000);
    h = mix(h, m.length >= 3 ? m[2]! : 0x100);
  }
  const sd = r.serviceData;
  for (let i = 0; i < sd.length; i++) {
    h = mixText(h, sd[i]!.uuid);
    h = mix(h, 0x200 | sd[i]!.data.length);
  }
  if (r.localName !== undefined) h = mixText(mix(h, 0x300), r.localName);
  if (r.txPowerLevel !== undefined) h = mix(h, 0x400 | (r.txPowerLevel & 0xff));
  return h >>> 0;
}

/** Adds a shape to a session's few; returns false when it was already there or there is no room. */
export function addShape(shapes: number[], shape: number): boolean {
  if (shapes.length >= MAX_SHAPES || shapes.includes(shape)) return false;
  shapes.push(shape);
  return true;
}

/** Whether two sessions may be one device: some shape in common, or one of them has none recorded. */
export function shapesMeet(a: readonly number[], b: readonly number[]): boolean {
  if (a.length === 0 || b.length === 0) return true;
  for (const x of a) if (b.includes(x)) return true;
  return false;
}
