/**
 * `waymark venue status` and `waymark venue mark-cleaned`: a venue's exposure status as the
 * registry computes it, and the operator declaring an Infected venue cleaned; `waymark venue
 * capacity [set]`: the venue's occupancy policy and the crowding its kiosks reported. Same
 * chain flags as `waymark authority`; the work is in authority/venue-status.ts and
 * contracts/actions/capacity.ts.
 */
import type { CliCommand } from '../command.js';
import { ENV } from '../../core/paths.js';
import { markVenueCleaned, venueStatus, type VenueStatusReport } from '../../authority/venue-status.js';
import { booleanFlag, usage, venueIdFlag, wholeNumberText } from '../flags.js';
import { assertCapacityPolicy, capacityOf, setCapacityPolicy, MAX_CAPACITY, MAX_CAPACITY_MINUTES, type CapacityOfReturnType } from '../../contracts/actions/capacity.js';
import { EXIT_CODES, chainOptions, jsonOption, print, readSignerKey, utc, withChain } from './authority.js';

function describeStatus(s: VenueStatusReport, now?: number): string {
  const lapsed = s.state !== 'Infected' && s.infectedUntil !== null ? ' (passed)' : '';
  return [
    `venue ${s.venueId} (${s.geohash}, region ${s.region}): ${s.state}`,
    `  exposure window  ${s.exposure ? `${utc(s.exposure.from)} .. ${utc(s.exposure.to)} (the latest reported)` : 'none reported'}`,
    `  infected until   ${s.infectedUntil !== null ? utc(s.infectedUntil) + lapsed : '-'}`,
    `  cleaned at       ${s.cleanedAt !== null ? utc(s.cleanedAt) : 'never'}`,
    `  operator         ${s.operator}`,
    ...(now !== undefined ? [`  chain time       ${utc(now)}`] : []),
  ].join('\n');
}

const statusCommand: CliCommand = {
  name: 'venue status',
  summary: "A venue's exposure status: Empty, Clean or Infected, the latest window, infected until, cleaned at",
  options: {
    venue: { type: 'string', description: 'venue id' },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `The status is the registry's statusOf at the latest block: Infected until the latest window's
end + the expiry period (14 days by default) unless the operator marked the venue cleaned since;
Clean once it had a batch or an exposure; Empty before.
--json: { venueId, geohash, region, operator, state, exposure: { from, to } | null, infectedUntil, cleanedAt, chainTime }
${EXIT_CODES}`,
  async run({ values }, io) {
    const venueId = venueIdFlag(values);
    return withChain(values, io, async (chain) => {
      const [s, block] = await Promise.all([venueStatus(chain.reader, venueId), chain.provider.getBlock('latest')]);
      const now = block?.timestamp;
      print(io, values, { ...s, chainTime: now ?? null }, describeStatus(s, now));
      return 0;
    });
  },
};

const markCleanedCommand: CliCommand = {
  name: 'venue mark-cleaned',
  summary: 'The venue operator declares an Infected venue cleaned: Infected -> Clean now',
  options: {
    venue: { type: 'string', description: 'venue id' },
    'operator-key': { type: 'string', description: "the venue operator's key FILE: a JSON keystore or a 0600 hex key" },
    'operator-passphrase-file': { type: 'string', description: `passphrase of the operator keystore (else $${ENV.OPERATOR_KEY_PASSPHRASE}, else asked on the terminal)` },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `Refused before any transaction when the key is not the venue's operator
(WAYMARK_ERR_CHAIN_UNAUTHORIZED) or the venue is not Infected (WAYMARK_ERR_CHAIN_CONFLICT).
Exposures whose window ended before the cleaning are still listed, but do not make the venue
Infected again; later ones do.
${EXIT_CODES}`,
  async run({ values }, io) {
    const venueId = venueIdFlag(values);
    const operator = await readSignerKey(values, io, 'operator-key', 'operator-passphrase-file', 'operator keystore');
    return withChain(values, io, async (chain) => {
      const r = await markVenueCleaned(chain.as(operator), venueId);
      print(io, values, r, `venue ${venueId} marked cleaned: ${r.status.state} (cleaned at ${r.status.cleanedAt !== null ? utc(r.status.cleanedAt) : '?'})\ntx ${r.txHash}`);
      return 0;
    });
  },
};

function describeCapacity(venueId: number, c: CapacityOfReturnType): string {
  if (c.capacity === 0) return `venue ${venueId}: no capacity policy (set one with waymark venue capacity set)`;
  return [
    `venue ${venueId}: capacity ${c.capacity} people; a kiosk reports it after ${c.minMinutes} min above`,
    `  reported full     ${c.overSince !== 0 ? `since ${utc(c.overSince)} (${c.occupancy} people at the report)` : 'no'}`,
    ...(c.overSince === 0 && c.occupancy !== 0 ? [`  last report       ended with ${c.occupancy} people inside`] : []),
  ].join('\n');
}

const capacityCommand: CliCommand = {
  name: 'venue capacity',
  summary: "A venue's capacity policy and whether its kiosks reported it above capacity",
  options: {
    venue: { type: 'string', description: 'venue id' },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `The registry's capacityOf: the policy (capacity 0 = none), and the crowding a kiosk of the
venue reported (CapacityCrossed events: above the capacity for at least the policy's minutes, and
its end).
--json: { venueId, capacity, minMinutes, overSince, occupancy } (overSince 0 = not reported full)
${EXIT_CODES}`,
  async run({ values }, io) {
    const venueId = venueIdFlag(values);
    return withChain(values, io, async (chain) => {
      const c = await capacityOf(chain.reader, { venueId });
      print(io, values, { venueId, ...c }, describeCapacity(venueId, c));
      return 0;
    });
  },
};

const capacitySetCommand: CliCommand = {
  name: 'venue capacity set',
  summary: "Set a venue's capacity policy on chain: its kiosks report when it stays above capacity",
  options: {
    venue: { type: 'string', description: 'venue id' },
    capacity: { type: 'string', description: `people the venue holds, 1..${MAX_CAPACITY}` },
    minutes: { type: 'string', description: `minutes above the capacity before a kiosk reports it, 1..${MAX_CAPACITY_MINUTES}` },
    off: { type: 'boolean', description: 'remove the policy (and any reported crowding)' },
    'operator-key': { type: 'string', description: "the venue operator's (or a region authority's) key FILE: a JSON keystore or a 0600 hex key" },
    'operator-passphrase-file': { type: 'string', description: `passphrase of the keystore (else $${ENV.OPERATOR_KEY_PASSPHRASE}, else asked on the terminal)` },
    ...chainOptions,
    ...jsonOption,
  },
  usage: `The venue's operator or the authority of a region above it sets the policy. The kiosks of the
venue read it within a poll (15 s); once their count stays above the capacity for the minutes
(dips under a minute do not count) the screen shows "Venue full" and a kiosk reports the
crossing on chain; at or below the capacity for a minute it reports the end.
Bad values are refused before any transaction with WAYMARK_ERR_CAPACITY_POLICY_INVALID.
  waymark venue capacity set --venue 3 --capacity 120 --minutes 10 --operator-key operator.json
  waymark venue capacity set --venue 3 --off --operator-key operator.json
--json: { venueId, capacity, minMinutes, txHash, blockNumber, gasUsed }
${EXIT_CODES}`,
  async run({ values }, io) {
    const venueId = venueIdFlag(values);
    const off = booleanFlag(values, 'off');
    if (off && (values.capacity !== undefined || values.minutes !== undefined)) usage('--off takes no --capacity or --minutes', 'off');
    const policy = off ? { capacity: 0, minMinutes: 0 } : assertCapacityPolicy({ capacity: wholeNumberText(values, 'capacity', { required: 'N (or --off)' }), minMinutes: wholeNumberText(values, 'minutes', { required: 'M (or --off)' }) });
    const signer = await readSignerKey(values, io, 'operator-key', 'operator-passphrase-file', 'operator keystore');
    return withChain(values, io, async (chain) => {
      const r = await setCapacityPolicy(chain.as(signer), { venueId, ...policy });
      const text = off ? `venue ${venueId}: capacity policy removed` : `venue ${venueId}: capacity ${policy.capacity} people, reported after ${policy.minMinutes} min above`;
      print(io, values, { venueId, ...policy, txHash: r.txHash, blockNumber: r.blockNumber, gasUsed: r.gasUsed }, `${text}\ntx ${r.txHash} (gas ${r.gasUsed})`);
      return 0;
    });
  },
};

export const venueCommands: CliCommand[] = [statusCommand, markCleanedCommand, capacityCommand, capacitySetCommand];
