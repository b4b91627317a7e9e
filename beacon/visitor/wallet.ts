/**
 * The visitor's wallet: the attestations a phone keeps (with the kiosk they came from and,
 * once anchored, their proofs) as one JSON document. Pure data functions; where the
 * document is stored (a file, app storage) is the host's business.
 */
import { WaymarkError } from '../../core/errors.js';
import type { SignedCheckinAttestation } from './attestation.js';
import type { ProofCheck, RecordProof } from './proofs.js';

export const VISITOR_WALLET_FORMAT = 'waymark-visitor-wallet-v1';

export interface WalletEntry {
  attestation: SignedCheckinAttestation;
  /** The kiosk's base URL, where its proof API lives. */
  kioskUrl: string;
  /** ISO time the phone stored it. */
  storedAt: string;
  /** 'verified' on chain (isKiosk true), or 'signature only' when no chain was asked. */
  signerCheck: 'authorized on chain' | 'signature only';
  proof?: RecordProof;
  proofCheck?: ProofCheck;
  /** When the visitor checked out (scanned or tapped again on leaving), Unix seconds. */
  checkoutTime?: number;
  /** The kiosk's median visit length at check-in (its token response's dwellMedianS), seconds. */
  kioskDwellS?: number;
}

export interface VisitorWallet {
  format: typeof VISITOR_WALLET_FORMAT;
  entries: WalletEntry[];
}

export function emptyWallet(): VisitorWallet {
  return { format: VISITOR_WALLET_FORMAT, entries: [] };
}

/** Parses a wallet document; throws WAYMARK_ERR_FILE_FORMAT. */
export function parseWallet(text: string): VisitorWallet {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `visitor wallet is not JSON (${(err as Error).message})`);
  }
  const w = doc as Partial<VisitorWallet> | null;
  if (!w || w.format !== VISITOR_WALLET_FORMAT || !Array.isArray(w.entries)) {
    throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `visitor wallet must be { format: "${VISITOR_WALLET_FORMAT}", entries: [...] }`);
  }
  // what the wallet commands read of an entry before verifying its attestation
  const bad = w.entries.findIndex((e: any) => typeof e?.kioskUrl !== 'string' || typeof e.attestation?.id !== 'string'
    || typeof e.attestation.typedData?.domain !== 'object' || e.attestation.typedData.domain === null);
  if (bad >= 0) {
    throw new WaymarkError('WAYMARK_ERR_FILE_FORMAT', `visitor wallet entry ${bad} must be { attestation: { id, typedData: { domain, ... }, ... }, kioskUrl, ... }`);
  }
  return w as VisitorWallet;
}

/** Adds an entry, or replaces the one with the same attestation id. */
export function putEntry(wallet: VisitorWallet, entry: WalletEntry): VisitorWallet {
  const id = entry.attestation.id.toLowerCase();
  const entries = wallet.entries.filter((e) => e.attestation.id.toLowerCase() !== id);
  entries.push(entry);
  return { ...wallet, entries };
}
