/**
 * The check-in service: HTTP-agnostic actions that turn a proof of presence (a live QR
 * token, a BLE tap close enough, a phone's NFC answer) into a signed, stored attestation, behind the clock
 * guard. The HTTP routes and the GATT transport only validate input and call these.
 */
import type { Clock } from '../../core/clock.js';
import type { KioskConfig } from '../../core/config.js';
import { WaymarkError } from '../../core/errors.js';
import { silentLogger, type Logger } from '../../core/log.js';
import type { Database } from '../store/database.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { concatBytes, fromHex, toHex } from '../../beacon/bytes.js';
import type { PresenceKind, SignedCheckinAttestation } from '../../beacon/visitor/attestation.js';
import { AttestationSigner, type KioskKey } from './attestation-signer.js';
import { CheckinTokenIssuer, type IssuedCheckinToken } from './tokens.js';
import { AttestationStore, type TokenUse } from './records.js';
import { ClockGuard, type ChainHealth, type ClockGuardStatus } from '../clock-guard.js';

export type CheckinSettings = KioskConfig['checkin'];

export interface CheckinServiceOptions {
  /** The kiosk store (openDatabase), migrated with 002-checkin. */
  db: Database;
  clock: Clock;
  /** The kiosk's secp256k1 key (ethers Wallet, SigningKey or 0x hex). */
  key: KioskKey;
  /** EIP-712 domain and venue: from the chain config (31337 and a configured registry without a chain). */
  chainId: number;
  registry: string;
  venueId: number;
  geohash: string;
  settings: CheckinSettings;
  /** Default: a guard that trusts the clock's own syncStatus() (tests, simulated demo). */
  clockGuard?: ClockGuard;
  /** Latest chain health, shown on the page (from the guard's chain probe). */
  chainHealth?: () => ChainHealth | undefined;
  logger?: Logger;
}

export interface CheckinStatus {
  kiosk: string;
  venueId: number;
  chainId: number;
  registry: string;
  clock: ClockGuardStatus;
  chain: ChainHealth | null;
  tokenPeriodS: number;
  tokenValidityS: number;
  tapThresholdDbm: number;
  attestations: { total: number; unbatched: number };
  checkins: { qr: number; tap: number; nfc: number; refused: number };
  lastCheckinAt: string | null;
}

const VISITOR_HEX = /^0x[0-9a-fA-F]{64}$/;

export class CheckinService {
  readonly signer: AttestationSigner;
  readonly tokens: CheckinTokenIssuer;
  readonly records: AttestationStore;
  readonly clockGuard: ClockGuard;
  readonly settings: CheckinSettings;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #chainHealth: () => ChainHealth | undefined;
  #nextSeq: number;
  #lastPrune = 0;
  #lastCheckinAt: number | null = null;
  readonly #counts = { qr: 0, tap: 0, nfc: 0, refused: 0 };
  readonly #tapsByPeer = new Map<string, number[]>();

  constructor(opts: CheckinServiceOptions) {
    this.settings = opts.settings;
    this.#clock = opts.clock;
    this.#log = opts.logger ?? silentLogger;
    this.signer = new AttestationSigner({ key: opts.key, chainId: opts.chainId, verifyingContract: opts.registry, venueId: opts.venueId, geohash: opts.geohash });
    this.tokens = new CheckinTokenIssuer({ signer: this.signer, periodS: opts.settings.tokenPeriodS, validityS: opts.settings.tokenValidityS });
    this.records = new AttestationStore(opts.db);
    this.clockGuard = opts.clockGuard ?? new ClockGuard({ clock: opts.clock });
    this.#chainHealth = opts.chainHealth ?? (() => undefined);
    this.#nextSeq = this.records.nextKioskSeq(this.signer.address);
  }

  /** The token the screen shows now; refused while the clock is unsynced. */
  currentToken(): IssuedCheckinToken {
    this.clockGuard.assertSynced();
    const now = this.#clock.now();
    const issued = this.tokens.current(now);
    if (now - this.#lastPrune > this.settings.tokenPeriodS * 1000) {
      this.#lastPrune = now;
      this.records.pruneTokenUses(now / 1000);
    }
    return issued;
  }

  /** QR check-in: a live token of this kiosk, not used before by this visitor commitment. */
  checkinWithToken(params: { visitor: string; token: string }): SignedCheckinAttestation {
    return this.#refusals(() => {
      this.clockGuard.assertSynced();
      const visitor = visitorBytes(params.visitor);
      const now = this.#clock.now();
      const token = this.tokens.verify(params.token, now);
      const att = this.#attest(now, visitor, 'qr-token', { nonce: token.nonce, visitor, expiresAt: token.expiresAt });
      this.#counts.qr++;
      return att;
    });
  }

  /** BLE tap check-in: the filtered link RSSI must reach the tap threshold. */
  tapCheckin(params: { visitor: Uint8Array; rssiDbm: number; peer: string }): SignedCheckinAttestation {
    return this.#refusals(() => {
      this.clockGuard.assertSynced();
      if (!(params.visitor instanceof Uint8Array) || params.visitor.length !== 32) {
        throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'visitor must be a 32-byte commitment', { details: { field: 'visitor' } });
      }
      if (typeof params.rssiDbm !== 'number' || !Number.isFinite(params.rssiDbm) || params.rssiDbm < -127 || params.rssiDbm > 20) {
        throw new WaymarkError('WAYMARK_ERR_RSSI_OUT_OF_RANGE', `${params.rssiDbm} dBm`, { details: { rssiDbm: params.rssiDbm } });
      }
      if (params.rssiDbm < this.settings.tapThresholdDbm) {
        throw new WaymarkError('WAYMARK_ERR_CHECKIN_TOO_FAR', `link RSSI ${params.rssiDbm} dBm is below the tap threshold ${this.settings.tapThresholdDbm} dBm; hold the phone against the kiosk`, {
          details: { rssiDbm: params.rssiDbm, thresholdDbm: this.settings.tapThresholdDbm },
        });
      }
      const now = this.#clock.now();
      this.#limitPeer(params.peer, now);
      const att = this.#attest(now, params.visitor, 'ble-tap', undefined);
      this.#counts.tap++;
      return att;
    });
  }

  /**
   * NFC tap check-in: a phone's answer to SELECT AID carries a fresh 14-byte nonce; the visitor
   * commitment is derived from it (nfcVisitorCommitment), and a nonce is signed for once only.
   */
  nfcCheckin(params: { kind: 'uid' | 'iso-dep'; response: Uint8Array }): SignedCheckinAttestation {
    return this.#refusals(() => {
      this.clockGuard.assertSynced();
      if (params.kind !== 'iso-dep') throw new WaymarkError('WAYMARK_ERR_CHECKIN_NFC_MALFORMED', 'a tag UID carries no check-in (a phone answers SELECT AID)');
      const nonce = nfcNonce(params.response);
      const visitor = nfcVisitorCommitment(nonce);
      const now = this.#clock.now();
      // the nonce use is kept a day (pruned with the token uses); the tag keeps it apart from QR token nonces
      const use: TokenUse = { nonce: concatBytes(NFC_USE_TAG, nonce), visitor, expiresAt: Math.floor(now / 1000) + NFC_NONCE_KEEP_S };
      let att: SignedCheckinAttestation;
      try {
        att = this.#attest(now, visitor, 'nfc', use);
      } catch (err) {
        if (err instanceof WaymarkError && err.code === 'WAYMARK_ERR_CHECKIN_TOKEN_USED') {
          throw new WaymarkError('WAYMARK_ERR_CHECKIN_NFC_REPLAY', 'this NFC check-in nonce was signed for already', { cause: err });
        }
        throw err;
      }
      this.#counts.nfc++;
      return att;
    });
  }

  status(): CheckinStatus {
    return {
      kiosk: this.signer.address,
      venueId: this.signer.venueId,
      chainId: this.signer.domain.chainId,
      registry: this.signer.domain.verifyingContract,
      clock: this.clockGuard.status(),
      chain: this.#chainHealth() ?? null,
      tokenPeriodS: this.tokens.periodS,
      tokenValidityS: this.tokens.validityS,
      tapThresholdDbm: this.settings.tapThresholdDbm,
      attestations: this.records.counts(),
      checkins: { ...this.#counts },
      lastCheckinAt: this.#lastCheckinAt === null ? null : new Date(this.#lastCheckinAt).toISOString(),
    };
  }

  #attest(now: number, visitor: Uint8Array, presence: PresenceKind, tokenUse: TokenUse | undefined): SignedCheckinAttestation {
    const att = this.records.recordCheckin(now, tokenUse, () => this.signer.attest({
      visitor: '0x' + toHex(visitor),
      time: Math.floor(now / 1000),
      presence,
      seq: this.#nextSeq,
    }));
    this.#nextSeq++;
    this.#lastCheckinAt = now;
    return att;
  }

  /** Counts refusals and logs them without the visitor commitment. */
  #refusals<T>(action: () => T): T {
    try {
      return action();
    } catch (err) {
      this.#counts.refused++;
      this.#log.debug({ code: (err as WaymarkError).code }, 'check-in refused');
      throw err;
    }
  }

  /** At most rateLimit.checkinsPerMinute taps per BLE peer address (memory only, pruned). */
  #limitPeer(peer: string, now: number): void {
    const max = this.settings.rateLimit.checkinsPerMinute;
    const recent = (this.#tapsByPeer.get(peer) ?? []).filter((t) => now - t < 60_000);
    if (recent.length >= max) throw new WaymarkError('WAYMARK_ERR_RATE_LIMITED', `more than ${max} taps a minute from one phone`);
    recent.push(now);
    this.#tapsByPeer.set(peer, recent);
    if (this.#tapsByPeer.size > 1000) {
      for (const [p, times] of this.#tapsByPeer) if (times.every((t) => now - t >= 60_000)) this.#tapsByPeer.delete(p);
    }
  }
}

const NFC_USE_TAG = new TextEncoder().encode('nfc:');
const NFC_NONCE_KEEP_S = 86_400;
const NFC_VISITOR_DOMAIN = new TextEncoder().encode('waymark/nfc-visitor/v1');
/** The bytes of a phone's SELECT AID answer before SW1 SW2 (docs/PROTOCOL.md "NFC tap check-in"). */
export const NFC_NONCE_LENGTH = 14;

/** A phone's answer to SELECT AID -> its 14-byte check-in nonce; WAYMARK_ERR_CHECKIN_NFC_MALFORMED otherwise. */
export function nfcNonce(response: Uint8Array): Uint8Array {
  if (!(response instanceof Uint8Array) || response.length !== NFC_NONCE_LENGTH + 2) {
    throw new WaymarkError('WAYMARK_ERR_CHECKIN_NFC_MALFORMED', `expected a ${NFC_NONCE_LENGTH + 2}-byte answer to SELECT AID, got ${response?.length ?? 0} bytes`);
  }
  if (response[NFC_NONCE_LENGTH] !== 0x90 || response[NFC_NONCE_LENGTH + 1] !== 0x00) {
    throw new WaymarkError('WAYMARK_ERR_CHECKIN_NFC_MALFORMED', 'the answer to SELECT AID does not end in SW 90 00');
  }
  return response.slice(0, NFC_NONCE_LENGTH);
}

/** The visitor commitment of an NFC check-in: SHA-256("waymark/nfc-visitor/v1" || nonce); the phone computes it too. */
export function nfcVisitorCommitment(nonce: Uint8Array): Uint8Array {
  return sha256(concatBytes(NFC_VISITOR_DOMAIN, nonce));
}

/** 0x + 64 hex -> 32 bytes; WAYMARK_ERR_BAD_REQUEST otherwise. */
export function visitorBytes(visitor: string): Uint8Array {
  if (typeof visitor !== 'string' || !VISITOR_HEX.test(visitor)) {
    throw new WaymarkError('WAYMARK_ERR_BAD_REQUEST', 'visitor must be a 32-byte commitment, 0x + 64 hex digits', { details: { field: 'visitor' } });
  }
  return fromHex(visitor);
}
