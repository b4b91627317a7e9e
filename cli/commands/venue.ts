/**
 * `waymark venue status` and `waymark venue mark-cleaned`: a venue's exposure status as the
 * registry computes it, and the operator declaring an Infected venue cleaned. Same chain
 * flags as `waymark authority`; the work is in authority/venue-status.ts.
 */
import type { CliCommand } from '../command.js';
import { ENV } from '../../core/paths.js';
import { markVenueCleaned, venueStatus, type VenueStatusReport } from '../../authority/venue-status.js';
import { venueIdFlag } from '../flags.js';
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

export const venueCommands: CliCommand[] = [statusCommand, markCleanedCommand];
