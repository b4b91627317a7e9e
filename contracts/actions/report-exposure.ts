/**
 * A region authority above the venue reports an exposure window [fromTime, toTime]; the
 * venue is Infected until the expiry period (14 days by default) after toTime.
 */
import { findEvent, sendRegistryTx, type RegistryClient, type TxReceipt } from '../client.js';
import { assertExposureWindow, assertVenueId } from '../validate.js';

export interface ReportExposureParameters {
  venueId: bigint | number;
  /** Unix seconds. */
  fromTime: bigint | number;
  toTime: bigint | number;
}

export interface ReportExposureReturnType extends TxReceipt {
  /** When the venue turns Clean again by itself, Unix seconds. */
  expiresAt: bigint;
}

export async function reportExposure(client: RegistryClient, params: ReportExposureParameters): Promise<ReportExposureReturnType> {
  const venueId = assertVenueId(params.venueId);
  const { fromTime, toTime } = assertExposureWindow(params.fromTime, params.toTime);
  const { receipt, logs, contract } = await sendRegistryTx(client, 'reportExposure', 'reportExposure', [venueId, fromTime, toTime]);
  const event = findEvent(contract, logs, 'ExposureReported');
  return { ...receipt, expiresAt: (event?.expiresAt as bigint | undefined) ?? 0n };
}
