/** Every `waymark` command, in the order `waymark help` lists them. */
import type { CliCommand } from '../command.js';
import { demoCommand } from './demo.js';
import { kioskStartCommand } from './kiosk.js';
import { replayCommand } from './replay.js';
import { configCheckCommand } from './config.js';
import { beaconCommands } from './beacon.js';
import { visitorScanCommand } from './visitor-scan.js';

export const allCommands: CliCommand[] = [demoCommand, kioskStartCommand, replayCommand, configCheckCommand, ...beaconCommands, visitorScanCommand];
