/**
 * The BLE tap check-in handler (core/ports.ts TapCheckinHandler) the GATT transport calls:
 * the check-in service enforces the tap threshold and the clock guard; the reply is the
 * signed attestation as UTF-8 JSON, the same object the HTTP API returns.
 */
import type { TapCheckinHandler } from '../../core/ports.js';
import type { CheckinService } from './service.js';

const utf8 = new TextEncoder();

export function createTapCheckinHandler(service: CheckinService): TapCheckinHandler {
  return async (request) => {
    const attestation = service.tapCheckin(request);
    return utf8.encode(JSON.stringify({ attestation }));
  };
}
