/**
 * The NFC tap check-in listener the daemon puts on a serial radio's taps: each tap the radio
 * delivers (exactly once, after the board's NFC_TAP_ACK bookkeeping in TapLedger) becomes one
 * attestation with presence `nfc`, or one logged refusal with its code.
 */
import { WaymarkError } from '../../core/errors.js';
import type { Logger } from '../../core/log.js';
import type { SignedCheckinAttestation } from '../../beacon/visitor/attestation.js';
import type { SerialTap } from '../../firmware-bridge/radio/serial-radio.js';
import type { CheckinService } from './service.js';

export interface NfcCheckinOutcome {
  tap: SerialTap;
  attestation?: SignedCheckinAttestation;
  /** The refusal's code (WAYMARK_ERR_CHECKIN_NFC_MALFORMED, _NFC_REPLAY, _CLOCK_UNSYNCED, ...). */
  refused?: string;
}

/** Subscribes to `onTap`; returns the unsubscribe. `onOutcome` sees every tap's result (tests, the demo). */
export function startNfcCheckin(
  onTap: (listener: (tap: SerialTap) => void) => () => void,
  service: CheckinService,
  opts: { logger: Logger; onOutcome?: (outcome: NfcCheckinOutcome) => void },
): () => void {
  return onTap((tap) => {
    const outcome: NfcCheckinOutcome = { tap };
    try {
      outcome.attestation = service.nfcCheckin({ kind: tap.kind, response: tap.response });
      opts.logger.info({ id: outcome.attestation.id, tapSeq: tap.tapSeq }, 'NFC check-in');
    } catch (err) {
      outcome.refused = err instanceof WaymarkError ? err.code : 'WAYMARK_ERR_INTERNAL';
      opts.logger.info({ code: outcome.refused, kind: tap.kind, tapSeq: tap.tapSeq }, 'NFC tap refused');
    }
    opts.onOutcome?.(outcome);
  });
}
