/** `waymark kiosk start`: the kiosk daemon, configured from one file. */
import { resolve } from 'node:path';
import type { CliCommand } from '../command.js';
import { loadConfig } from '../../core/config.js';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/log.js';
import { ENV, DEFAULT_PATHS } from '../../core/paths.js';
import type { Advertiser, Scanner } from '../../core/ports.js';
import { createBlenoPeripheral, type BlenoPeripheral } from '../../kiosk/radio/bleno-advertiser.js';
import { startGattCheckin } from '../../kiosk/radio/gatt-checkin.js';
import { startKioskCheckin } from '../../kiosk/checkin/kiosk-checkin.js';
import { createBeaconBroadcaster, publishBeaconKey } from '../../kiosk/beacon-service.js';
import { toHex } from '../../beacon/index.js';
import { Kiosk } from '../../kiosk/kiosk.js';
import { buildHttpApp } from '../../kiosk/http/server.js';
import { createNobleScanner } from '../../kiosk/radio/noble-scanner.js';
import { createVirtualRadio } from '../../kiosk/virtual-radio.js';
import { batchMetricSources, type MetricSource } from '../../kiosk/metrics.js';
import { startKioskAnchoring, loadConfiguredKioskKey } from '../../kiosk/batcher/kiosk-anchoring.js';
import { batchRoutes } from '../../kiosk/http/batch-routes.js';
import { createSerialRadio } from '../../firmware-bridge/radio/serial-radio.js';
import { readDeviceCertificate, type StoredDeviceCertificate } from '../../provisioning/certificate.js';
import { kioskFiles } from '../../provisioning/layout.js';

export const kioskStartCommand: CliCommand = {
  name: 'kiosk start',
  summary: 'Run the kiosk daemon (radio, store, HTTP) from a config file',
  options: {
    config: { type: 'string', description: `config file (default $${ENV.CONFIG} or ${DEFAULT_PATHS.configFile})` },
  },
  usage: `The config is validated first; every bad field is named. Stop with SIGINT/SIGTERM:
open sessions are closed and written before exit. See docs/OPERATIONS.md.`,
  async run({ values }, io) {
    const path = resolve(io.cwd, (values.config as string | undefined) ?? io.env[ENV.CONFIG] ?? DEFAULT_PATHS.configFile);
    const config = loadConfig(path, io.env);
    const logger = createLogger({ destination: 1 });
    const clock = systemClock;
    let scanner: Scanner;
    let advertiser: Advertiser | undefined;
    let stopRadio = async () => {};
    let metrics: MetricSource[] = [];
    switch (config.radio.adapter) {
      case 'hci':
        scanner = await createNobleScanner({ deviceId: config.radio.hciDevice, socket: 'native', clock });
        if (config.beacon.enabled) advertiser = createBlenoPeripheral({ deviceId: config.radio.hciDevice, socket: 'native' });
        break;
      case 'virtual': {
        const radio = await createVirtualRadio({ clock, seed: 1 });
        radio.start();
        scanner = radio.scanner;
        stopRadio = () => radio.stop();
        if (config.beacon.enabled) advertiser = createBlenoPeripheral({ deviceId: radio.deviceId, socket: 'virtual' });
        break;
      }
      case 'serial': {
        // re-opens with backoff on unplug; the Kiosk closes it through its scanner
        const radio = await createSerialRadio({ path: config.radio.serialPort, baudRate: config.radio.baudRate, clock });
        radio.on('link', (up) => (up ? logger.info({ port: config.radio.serialPort }, 'co-processor link up') : logger.warn({ port: config.radio.serialPort }, 'co-processor link down; re-opening')));
        radio.onTap((tap) => logger.info({ kind: tap.kind, tapSeq: tap.tapSeq }, 'NFC tap'));
        scanner = radio.scanner;
        metrics = radio.metricSources();
        // the board advertises the beacon (in one extended PDU when it can)
        if (config.beacon.enabled) advertiser = radio.advertiser;
        break;
      }
    }
    const kiosk = new Kiosk({ config, clock, scanner, logger });
    await kiosk.start();
    // Batches to the chain when chain.rpcUrl, registry, venueId and the key file are set.
    const key = await loadConfiguredKioskKey(config, io.env).catch(async (err) => {
      await kiosk.stop();
      throw err;
    });
    const anchoring = await startKioskAnchoring(kiosk, { env: io.env, key }).catch(async (err) => {
      await kiosk.stop();
      throw err;
    });
    // Check-in attestations (QR over HTTP, BLE tap over GATT) when the key and chain domain are known.
    const checkin = startKioskCheckin(kiosk, key);
    // The signed positioning beacon, on the same adapter as the scanner.
    const beacon = advertiser ? createBeaconBroadcaster({ config, clock, advertiser, logger }) : undefined;
    // GATT: the tap check-in service, and the beacon frame as a readable characteristic
    const gatt = checkin && advertiser && 'setServices' in advertiser
      ? await startGattCheckin(advertiser as BlenoPeripheral, { handler: checkin.tapHandler, beaconFrame: () => beacon?.currentFrame() })
      : undefined;
    await beacon?.start();
    if (beacon && anchoring && key) {
      // phones verify the beacon with the key the registry vouches for
      publishBeaconKey({ rpcUrl: config.chain.rpcUrl!, registry: config.chain.registry!, chainId: config.chain.chainId, privateKey: key.privateKey, beacon: beacon.beacon })
        .then((r) => logger.info({ beaconKey: toHex(beacon.beacon.publicKey), result: r }, 'beacon key in the registry'))
        .catch((err) => logger.warn({ err: (err as Error).message }, 'could not publish the beacon key; will retry at next start'));
    }
    // The operator-signed device certificate (provisioning), shown in /v1/status when present.
    let deviceCertificate: StoredDeviceCertificate | undefined;
    try {
      deviceCertificate = readDeviceCertificate(kioskFiles(config.dataDir).certificate);
    } catch (err) {
      logger.warn({ err }, 'device certificate unreadable; not shown in /v1/status');
    }
    const app = await buildHttpApp(kiosk, { logger, statusExtras: () => ({
      ...(deviceCertificate ? { deviceCertificate } : {}),
      beacon: beacon ? { kiosk: toHex(beacon.beacon.kioskId), publicKey: toHex(beacon.beacon.publicKey), ...beacon.stats() } : { enabled: false },
      chain: anchoring ? anchoring.status() : { anchoring: false },
      checkin: checkin ? { ...checkin.service.status(), ble: gatt ? gatt.stats() : null } : { enabled: false },
    }), metrics: [...metrics, ...(anchoring ? batchMetricSources(() => anchoring.status()) : [])],
    plugins: [...(checkin ? [checkin.plugin] : []), ...(anchoring ? [batchRoutes(anchoring.store)] : [])] });
    await app.listen({ port: config.http.port, host: config.http.host });
    logger.info({ url: `http://${config.http.host}:${config.http.port}/` }, 'kiosk HTTP listening');
    await new Promise<void>((done) => io.signal.addEventListener('abort', () => done(), { once: true }));
    logger.info('stopping');
    await app.close();
    await beacon?.stop();
    await gatt?.close();
    await checkin?.stop();
    await advertiser?.close();
    await stopRadio();
    await anchoring?.stop();
    await kiosk.stop();
    return 0;
  },
};
