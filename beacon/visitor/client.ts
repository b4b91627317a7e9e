/**
 * The phone's side of an HTTP/QR check-in: read the kiosk's current token, choose a fresh
 * visitor commitment, post the check-in, verify the attestation, and fetch its Merkle proof
 * later. Uses only fetch and Web Crypto, so it runs in a browser or an app as well as Node.
 */
import { WaymarkError, isErrorCode } from '../../core/errors.js';
import { toHex } from '../bytes.js';
import { verifyAttestation, type SignedCheckinAttestation, type VerifiedAttestation } from './attestation.js';
import type { RecordProof } from './proofs.js';

export type FetchLike = (url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }) => Promise<{
  status: number;
  json(): Promise<unknown>;
}>;

/** What `GET /v1/checkin-token` returns. */
export interface CheckinTokenResponse {
  token: string;
  /** The URL the QR code encodes. */
  url: string;
  issuedAt: number;
  expiresAt: number;
  /** Unix seconds the screen shows the next token. */
  nextAt: number;
  kiosk: string;
  /** SVG of the QR code. */
  qrSvg?: string;
  /** The venue's median visit length, seconds, when the kiosk has seen enough visits to say. */
  dwellMedianS?: number;
}

/** A fresh 32-byte commitment: random, used for one check-in, never a stable id. */
export function newVisitorCommitment(): string {
  const bytes = new Uint8Array(32);
  globalThis.crypto.getRandomValues(bytes);
  return '0x' + toHex(bytes);
}

async function call<T>(fetchFn: FetchLike, url: string, init?: Parameters<FetchLike>[1]): Promise<{ status: number; body: T }> {
  let res: Awaited<ReturnType<FetchLike>>;
  try {
    res = await fetchFn(url, init);
  } catch (err) {
    throw new WaymarkError('WAYMARK_ERR_KIOSK_UNREACHABLE', `${url}: ${(err as Error).message}`, { cause: err });
  }
  let body: unknown;
  try {
    body = await res.json();
  } catch {
    throw new WaymarkError('WAYMARK_ERR_KIOSK_UNREACHABLE', `${url} answered ${res.status} without JSON`);
  }
  return { status: res.status, body: body as T };
}

/** Re-raises a kiosk's error body as the same WaymarkError. */
function kioskError(status: number, body: unknown, url: string): WaymarkError {
  const e = (body as { error?: { code?: unknown; message?: string; details?: Record<string, unknown> } })?.error;
  if (e && isErrorCode(e.code)) {
    const err = new WaymarkError(e.code, '', e.details ? { details: e.details } : {});
    err.message = e.message ?? err.message;
    return err;
  }
  return new WaymarkError('WAYMARK_ERR_KIOSK_UNREACHABLE', `${url} answered ${status}`);
}

function base(kioskUrl: string): string {
  return kioskUrl.replace(/\/+$/, '');
}

export async function fetchCheckinToken(kioskUrl: string, fetchFn: FetchLike = globalThis.fetch as FetchLike): Promise<CheckinTokenResponse> {
  const url = `${base(kioskUrl)}/v1/checkin-token`;
  const { status, body } = await call<CheckinTokenResponse>(fetchFn, url);
  if (status !== 200) throw kioskError(status, body, url);
  return body;
}

export async function postCheckin(kioskUrl: string, params: { visitor: string; token: string }, fetchFn: FetchLike = globalThis.fetch as FetchLike): Promise<SignedCheckinAttestation> {
  const url = `${base(kioskUrl)}/v1/checkins`;
  const { status, body } = await call<{ attestation: SignedCheckinAttestation }>(fetchFn, url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ visitor: params.visitor, token: params.token }),
  });
  if (status !== 201) throw kioskError(status, body, url);
  return body.attestation;
}

export interface CheckInResult {
  attestation: SignedCheckinAttestation;
  verified: VerifiedAttestation;
  visitor: string;
  /** The token response, when the token was read from the kiosk (not scanned). */
  tokenResponse?: CheckinTokenResponse;
}

/**
 * A whole QR check-in: token (read from the kiosk, or scanned), fresh commitment, post,
 * then verify the signature and that the attestation is about this commitment.
 */
export async function checkInOverHttp(kioskUrl: string, opts: { token?: string; visitor?: string; fetch?: FetchLike } = {}): Promise<CheckInResult> {
  const fetchFn = opts.fetch ?? (globalThis.fetch as FetchLike);
  const tokenResponse = opts.token === undefined ? await fetchCheckinToken(kioskUrl, fetchFn) : undefined;
  const token = opts.token ?? tokenResponse!.token;
  const visitor = opts.visitor ?? newVisitorCommitment();
  const attestation = await postCheckin(kioskUrl, { visitor, token }, fetchFn);
  const verified = verifyAttestation(attestation, { visitor });
  return { attestation, verified, visitor, ...(tokenResponse ? { tokenResponse } : {}) };
}

/** The record's proof, or null while it is not batched yet (404). */
export async function fetchRecordProof(kioskUrl: string, id: string, fetchFn: FetchLike = globalThis.fetch as FetchLike): Promise<RecordProof | null> {
  const url = `${base(kioskUrl)}/v1/records/${encodeURIComponent(id)}/proof`;
  const { status, body } = await call<RecordProof>(fetchFn, url);
  if (status === 404) return null;
  if (status !== 200) throw kioskError(status, body, url);
  return body;
}
