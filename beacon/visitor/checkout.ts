/**
 * Check-out: leaving, the visitor scans (or taps) the kiosk again. The phone checks that
 * token's signature itself — it must come from the kiosk that signed the check-in — and
 * records the departure inside the token's kiosk-signed time window. Nothing is sent: the
 * departure stays on the phone (and goes into a share only if the visitor shares).
 */
import { decodeCheckinToken, recoverCheckinTokenSigner } from './checkin-token.js';
import type { WalletEntry } from './wallet.js';

/** A check-in older than this is not closed by a check-out (the visitor forgot to check out). */
export const MAX_OPEN_STAY_S = 12 * 3600;

/** What a scanned token proves on the phone: which kiosk showed it, and when. */
export interface KioskTokenWindow {
  /** The address whose key signed the token. */
  kiosk: string;
  issuedAt: number;
  expiresAt: number;
}

/** Decodes a token and recovers its signer; throws WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED / _INVALID. */
export function tokenWindow(token: string): KioskTokenWindow {
  const decoded = decodeCheckinToken(token);
  return { kiosk: recoverCheckinTokenSigner(decoded), issuedAt: decoded.issuedAt, expiresAt: decoded.expiresAt };
}

const sameAddress = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** The visit at this kiosk a scan on leaving closes: the newest one not checked out, under 12 h old. */
export function openVisitAt<E extends WalletEntry>(entries: readonly E[], scan: KioskTokenWindow, now: number): E | undefined {
  return entries
    .filter((e) => sameAddress(e.attestation.typedData.message.kiosk, scan.kiosk) && e.checkoutTime === undefined)
    .filter((e) => now - e.attestation.typedData.message.time < MAX_OPEN_STAY_S && e.attestation.typedData.message.time < scan.expiresAt)
    .sort((a, b) => b.attestation.typedData.message.time - a.attestation.typedData.message.time)[0];
}

/** Closes a visit: the phone's time, held inside the token's signed window and after the arrival. */
export function checkOut<E extends WalletEntry>(entry: E, scan: KioskTokenWindow, now: number): E {
  const arrival = entry.attestation.typedData.message.time;
  return { ...entry, checkoutTime: Math.min(scan.expiresAt, Math.max(now, scan.issuedAt, arrival + 1)) };
}
