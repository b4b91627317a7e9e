/**
 * Check-in, check-out and proofs as the wallet does them. A scanned link (the kiosk's QR:
 * `#kiosk=…&token=…`) is read and its token's signer recovered on the phone; the check-in
 * must come back signed by that same kiosk. Leaving, the visitor scans again: the check-out
 * time is bounded by that token's kiosk-signed window and nothing is sent anywhere.
 */
import { WaymarkError } from '../../core/errors.js';
import { verifyAttestation } from '../../beacon/visitor/attestation.js';
import { parseCheckinUrl } from '../../beacon/visitor/checkin-token.js';
import { MAX_OPEN_STAY_S, checkOut, openVisitAt, tokenWindow, type KioskTokenWindow } from '../../beacon/visitor/checkout.js';
import { fetchCheckinToken, fetchRecordProof, newVisitorCommitment, postCheckin, type FetchLike } from '../../beacon/visitor/client.js';
import { verifyRecordProof } from '../../beacon/visitor/proofs.js';
import type { WalletEntry } from '../../beacon/visitor/wallet.js';

/** A kiosk QR link opened in the wallet, its token checked on the phone. */
export interface ScannedKiosk extends KioskTokenWindow {
  kioskUrl: string;
  token: string;
}

export { openVisitAt, checkOut };

/** The wallet's own fetch: the browser's, called on the window. */
export const browserFetch: FetchLike = (url, init) => fetch(url, init);

/** The kiosk and token of a wallet link, undefined when the link carries none. Throws on a bad token. */
export function readScannedLink(href: string): ScannedKiosk | undefined {
  const hash = new URL(href).hash;
  if (!/[#&]token=/.test(hash) || !/[#&]kiosk=/.test(hash)) return undefined;
  const { kioskUrl, token } = parseCheckinUrl(href);
  return { kioskUrl, token, ...tokenWindow(token) };
}

/**
 * Checks in: a fresh commitment, POST to the kiosk, the attestation verified (EIP-712
 * signature, the commitment sent, and signed by the kiosk whose token was scanned). The
 * kiosk's dwell figure, if it offers one, is kept for when the visitor does not check out.
 */
export async function checkInAt(scan: ScannedKiosk, fetchFn: FetchLike = browserFetch): Promise<WalletEntry> {
  const visitor = newVisitorCommitment();
  const [attestation, info] = await Promise.all([
    postCheckin(scan.kioskUrl, { visitor, token: scan.token }, fetchFn),
    fetchCheckinToken(scan.kioskUrl, fetchFn).catch(() => undefined),
  ]);
  verifyAttestation(attestation, { visitor });
  if (attestation.typedData.message.kiosk.toLowerCase() !== scan.kiosk.toLowerCase()) {
    throw new WaymarkError('WAYMARK_ERR_ATTESTATION_INVALID', `signed by ${attestation.typedData.message.kiosk}, not by the kiosk ${scan.kiosk} whose QR code was scanned`);
  }
  const dwell = info?.dwellMedianS;
  return {
    attestation,
    kioskUrl: scan.kioskUrl,
    storedAt: new Date().toISOString(),
    signerCheck: 'signature only',
    ...(typeof dwell === 'number' && Number.isFinite(dwell) && dwell > 0 && dwell <= MAX_OPEN_STAY_S ? { kioskDwellS: Math.round(dwell) } : {}),
  };
}

/**
 * The record's proof once its batch is anchored (the kiosk names the commit transaction and
 * the batch is confirmed), checked against its root; undefined while it is not. The root is
 * not looked up on chain here: that request would name the kiosk. The authority checks it.
 */
export async function fetchAnchoredProof(entry: WalletEntry, fetchFn: FetchLike = browserFetch): Promise<WalletEntry | undefined> {
  const proof = await fetchRecordProof(entry.kioskUrl, entry.attestation.id, fetchFn);
  const state = (proof as { state?: string } | null)?.state;
  if (!proof || !proof.txHash || (state !== undefined && state !== 'confirmed')) return undefined;
  const proofCheck = await verifyRecordProof(entry.attestation, proof);
  return { ...entry, proof, proofCheck };
}
