/** Every `waymark` command, in the order `waymark help` lists them. */
import type { CliCommand } from '../command.js';
import { demoCommand } from './demo.js';
import { kioskStartCommand } from './kiosk.js';
import { replayCommand } from './replay.js';
import { configCheckCommand } from './config.js';
import { beaconCommands } from './beacon.js';
import { visitorScanCommand } from './visitor-scan.js';
import { visitorCommands } from './visitor.js';
import { bridgeCommands } from './bridge.js';
import { provisionCommands } from './provision.js';
import { chainCommands } from './chain.js';
import { authorityCommands } from './authority.js';
import { venueCommands } from './venue.js';
import { riskCommands } from './risk.js';
import { contactsCommands } from './contacts.js';
import { fleetCommands } from './fleet.js';

export const allCommands: CliCommand[] = [demoCommand, kioskStartCommand, replayCommand, configCheckCommand, ...beaconCommands, visitorScanCommand, ...visitorCommands, ...bridgeCommands, ...provisionCommands, ...chainCommands, ...authorityCommands, ...venueCommands, ...riskCommands, ...contactsCommands, ...fleetCommands];
