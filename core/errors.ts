/**
 * The one table of Waymark error codes. Every error that crosses a boundary (HTTP, CLI,
 * serial, BLE, config) carries one of these codes, its HTTP status and a message
 * template; docs/errors.md lists the same table and a test pins that both agree.
 */

export interface ErrorSpec {
  readonly status: number;
  readonly message: string;
}

/** Message templates use %s for the first detail argument. */
export const ERRORS = {
  // configuration and usage
  WAYMARK_ERR_CONFIG_INVALID: { status: 500, message: 'Invalid configuration: %s' },
  WAYMARK_ERR_CONFIG_NOT_FOUND: { status: 500, message: 'Configuration file not found: %s' },
  WAYMARK_ERR_USAGE: { status: 400, message: 'Bad usage: %s' },
  WAYMARK_ERR_FILE_FORMAT: { status: 400, message: 'Unreadable file: %s' },
  WAYMARK_ERR_FILE_PERMISSIONS: { status: 500, message: 'File open to other users: %s' },
  // HTTP boundary
  WAYMARK_ERR_BAD_REQUEST: { status: 400, message: 'Bad request: %s' },
  WAYMARK_ERR_NOT_FOUND: { status: 404, message: 'Not found: %s' },
  WAYMARK_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large: %s' },
  WAYMARK_ERR_URI_TOO_LONG: { status: 414, message: 'Request URL or parameter too long: %s' },
  WAYMARK_ERR_HEADERS_TOO_LARGE: { status: 431, message: 'Request headers too large: %s' },
  WAYMARK_ERR_REQUEST_TIMEOUT: { status: 408, message: 'Request not received in time: %s' },
  WAYMARK_ERR_OPERATOR_ONLY: { status: 403, message: 'Operator route: %s' },
  WAYMARK_ERR_RATE_LIMITED: { status: 429, message: 'Too many requests: %s' },
  WAYMARK_ERR_INTERNAL: { status: 500, message: 'Internal error: %s' },
  // radio and advertising data
  WAYMARK_ERR_RADIO_UNAVAILABLE: { status: 503, message: 'Radio unavailable: %s' },
  WAYMARK_ERR_HCI_MALFORMED: { status: 400, message: 'Malformed HCI packet: %s' },
  WAYMARK_ERR_AD_MALFORMED: { status: 400, message: 'Malformed advertising data: %s' },
  WAYMARK_ERR_RSSI_OUT_OF_RANGE: { status: 400, message: 'RSSI out of range: %s' },
  // serial link to the radio co-processor
  WAYMARK_ERR_SERIAL_FRAME: { status: 400, message: 'Bad serial frame: %s' },
  WAYMARK_ERR_SERIAL_PAYLOAD: { status: 400, message: 'Malformed serial payload: %s' },
  WAYMARK_ERR_SERIAL_TIMEOUT: { status: 504, message: 'Co-processor did not answer: %s' },
  WAYMARK_ERR_SERIAL_DISCONNECTED: { status: 503, message: 'Co-processor disconnected: %s' },
  WAYMARK_ERR_SERIAL_HANDSHAKE: { status: 502, message: 'Co-processor handshake failed: %s' },
  WAYMARK_ERR_DEVICE_ERROR: { status: 502, message: 'Co-processor reported an error: %s' },
  // signed beacon frames (beacon/)
  WAYMARK_ERR_BEACON_MALFORMED: { status: 400, message: 'Malformed beacon frame: %s' },
  WAYMARK_ERR_BEACON_BAD_SIGNATURE: { status: 400, message: 'Beacon signature does not verify: %s' },
  WAYMARK_ERR_BEACON_EPOCH: { status: 400, message: 'Beacon epoch outside the accepted window: %s' },
  WAYMARK_ERR_BEACON_INCOMPLETE: { status: 400, message: 'Beacon frame incomplete: %s' },
  WAYMARK_ERR_BEACON_FRAGMENT_MISMATCH: { status: 400, message: 'Beacon fragments do not belong together: %s' },
  WAYMARK_ERR_BEACON_UNKNOWN_KIOSK: { status: 404, message: 'Unknown beacon kiosk: %s' },
  // store
  WAYMARK_ERR_STORE: { status: 500, message: 'Store failure: %s' },
  // clock
  WAYMARK_ERR_CLOCK_UNSYNCED: { status: 503, message: 'Clock is not synchronized: %s' },
  // chain (contracts/)
  WAYMARK_ERR_CHAIN_BUILD: { status: 500, message: 'Contract build failed: %s' },
  WAYMARK_ERR_CONTRACTS_MISSING: { status: 500, message: 'Contract artifacts missing: %s' },
  WAYMARK_ERR_CONTRACTS_STALE: { status: 500, message: 'Contract artifacts are older than their sources: %s' },
  WAYMARK_ERR_CHAIN_UNAVAILABLE: { status: 503, message: 'Chain node unavailable: %s' },
  WAYMARK_ERR_CHAIN_UNAUTHORIZED: { status: 403, message: 'Not authorized on chain: %s' },
  WAYMARK_ERR_CHAIN_UNKNOWN_VENUE: { status: 404, message: 'Unknown venue: %s' },
  WAYMARK_ERR_CHAIN_SEQ_REPLAY: { status: 409, message: 'Batch already committed: %s' },
  WAYMARK_ERR_CHAIN_SEQ_GAP: { status: 409, message: 'Batch sequence out of order: %s' },
  WAYMARK_ERR_CHAIN_CONFLICT: { status: 409, message: 'Conflicting chain state: %s' },
  WAYMARK_ERR_CHAIN_BAD_BATCH: { status: 400, message: 'Invalid batch: %s' },
  WAYMARK_ERR_CHAIN_REVERTED: { status: 500, message: 'Transaction reverted: %s' },
  WAYMARK_ERR_CHAIN_GAS_CAP: { status: 503, message: 'Gas price above the kiosk cap: %s' },
  WAYMARK_ERR_CHAIN_NO_CONTRACT: { status: 500, message: 'No contract at the registry address: %s' },
  WAYMARK_ERR_GEOHASH_INVALID: { status: 400, message: 'Invalid geohash: %s' },
  WAYMARK_ERR_EXPOSURE_WINDOW: { status: 400, message: 'Invalid exposure window: %s' },
  WAYMARK_ERR_CAPACITY_POLICY_INVALID: { status: 400, message: 'Invalid capacity policy: %s' },
  WAYMARK_ERR_CAPACITY_NO_POLICY: { status: 409, message: 'Venue has no capacity policy: %s' },
  WAYMARK_ERR_CAPACITY_CROSSING: { status: 409, message: 'Capacity crossing refused: %s' },
  WAYMARK_ERR_SHARE_INVALID: { status: 400, message: 'Shared check-ins unreadable: %s' },
  WAYMARK_ERR_SHARE_UNANCHORED: { status: 409, message: 'Shared record not anchored on chain: %s' },
  // check-in attestations (kiosk/checkin, beacon/visitor)
  WAYMARK_ERR_CHECKIN_TOKEN_MALFORMED: { status: 400, message: 'Malformed check-in token: %s' },
  WAYMARK_ERR_CHECKIN_TOKEN_INVALID: { status: 403, message: 'Check-in token not signed by this kiosk: %s' },
  WAYMARK_ERR_CHECKIN_TOKEN_EXPIRED: { status: 410, message: 'Check-in token expired: %s' },
  WAYMARK_ERR_CHECKIN_TOKEN_USED: { status: 409, message: 'Check-in token already used by this visitor: %s' },
  WAYMARK_ERR_CHECKIN_TOO_FAR: { status: 403, message: 'Phone too far from the kiosk: %s' },
  WAYMARK_ERR_CHECKIN_TAP_MALFORMED: { status: 400, message: 'Malformed BLE tap check-in request: %s' },
  WAYMARK_ERR_CHECKIN_TAP_FAILED: { status: 502, message: 'BLE tap check-in failed: %s' },
  WAYMARK_ERR_CHECKIN_NFC_MALFORMED: { status: 400, message: 'Malformed NFC tap check-in: %s' },
  WAYMARK_ERR_CHECKIN_NFC_REPLAY: { status: 409, message: 'NFC tap check-in replayed: %s' },
  WAYMARK_ERR_RING_SIGNATURE_INVALID: { status: 400, message: 'Ring signature does not verify: %s' },
  WAYMARK_ERR_RING_DOUBLE_REPORT: { status: 409, message: 'Community report linked to an earlier one in the same epoch: %s' },
  WAYMARK_ERR_COMMUNITY_COLLECTOR: { status: 502, message: 'Community report collector failed: %s' },
  WAYMARK_ERR_COMMUNITY_RING_INVALID: { status: 400, message: 'Community ring does not match the registry: %s' },
  WAYMARK_ERR_ATTESTATION_INVALID: { status: 400, message: 'Attestation does not verify: %s' },
  WAYMARK_ERR_ATTESTATION_UNAUTHORIZED: { status: 403, message: 'Attestation signer is not an authorized kiosk: %s' },
  WAYMARK_ERR_PROOF_INVALID: { status: 400, message: 'Merkle proof does not verify: %s' },
  WAYMARK_ERR_KIOSK_UNREACHABLE: { status: 502, message: 'Kiosk unreachable: %s' },
  WAYMARK_ERR_RECORD_SEALED: { status: 400, message: 'Sealed record does not open: %s' },
  // provisioning (provisioning/, `waymark provision`)
  WAYMARK_ERR_KEY_NOT_FOUND: { status: 404, message: 'Key file not found: %s' },
  WAYMARK_ERR_KEY_EXISTS: { status: 409, message: 'Key file already exists: %s' },
  WAYMARK_ERR_KEY_INVALID: { status: 400, message: 'Unreadable key file: %s' },
  WAYMARK_ERR_KEY_PASSPHRASE: { status: 401, message: 'Keystore passphrase rejected: %s' },
  WAYMARK_ERR_COORDINATES_INVALID: { status: 400, message: 'Invalid coordinates: %s' },
  WAYMARK_ERR_CERTIFICATE_INVALID: { status: 400, message: 'Device certificate does not verify: %s' },
  // risk model and contact matching (risk/, kiosk/contacts, `waymark risk`, `waymark contacts`)
  WAYMARK_ERR_RISK_DATA: { status: 400, message: 'Unusable risk data: %s' },
  WAYMARK_ERR_RISK_SEPARATION: { status: 422, message: 'Outcomes are separable, no finite fit: %s' },
  WAYMARK_ERR_RISK_NOT_CONVERGED: { status: 422, message: 'Risk model fit did not converge: %s' },
  WAYMARK_ERR_RISK_MODEL: { status: 400, message: 'Unreadable risk model: %s' },
  WAYMARK_ERR_CONTACTS_ADDRESSES: { status: 400, message: 'Unreadable address list: %s' },
  WAYMARK_ERR_CONTACTS_SIGNATURE: { status: 401, message: 'Contact-match request not validly signed: %s' },
  WAYMARK_ERR_CONTACTS_NOT_AUTHORITY: { status: 403, message: 'Signer is not a region authority of this venue: %s' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && Object.prototype.hasOwnProperty.call(ERRORS, code);
}

export interface WaymarkErrorOptions {
  /** Structured context for logs and API bodies (field names, limits, received values). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

/** An error with a stable code, an HTTP status and structured details. */
export class WaymarkError extends Error {
  readonly code: ErrorCode;
  readonly statusCode: number;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, detail = '', options: WaymarkErrorOptions = {}) {
    const spec = ERRORS[code];
    super(spec.message.replace('%s', detail), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'WaymarkError';
    this.code = code;
    this.statusCode = spec.status;
    this.details = options.details;
  }

  /** The body an HTTP route or a `--json` CLI command returns for this error. */
  toJSON(): { error: { code: ErrorCode; message: string; details?: Record<string, unknown> } } {
    return { error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) } };
  }
}

export function isWaymarkError(err: unknown, code?: ErrorCode): err is WaymarkError {
  return err instanceof WaymarkError && (code === undefined || err.code === code);
}
