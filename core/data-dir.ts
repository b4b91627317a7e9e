/**
 * The files provisioning leaves in a kiosk's data dir, named once: the kiosk key (encrypted
 * keystore or plain hex), its public identity and the operator-signed device certificate.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';

export const KEYSTORE_FILE = 'kiosk-key.json';
export const PLAIN_KEY_FILE = 'kiosk-key.hex';
/** Address and public key of the kiosk key, readable without the passphrase. */
export const IDENTITY_FILE = 'kiosk-identity.json';
export const CERTIFICATE_FILE = 'device-certificate.json';
/** The operator token (0600): operator HTTP routes answer other machines only with it. */
export const OPERATOR_TOKEN_FILE = 'operator-token';

export interface KioskFiles {
  keystore: string;
  plainKey: string;
  identity: string;
  certificate: string;
}

export function kioskFiles(dataDir: string): KioskFiles {
  return {
    keystore: join(dataDir, KEYSTORE_FILE),
    plainKey: join(dataDir, PLAIN_KEY_FILE),
    identity: join(dataDir, IDENTITY_FILE),
    certificate: join(dataDir, CERTIFICATE_FILE),
  };
}

/** The kiosk key file present in a data dir (keystore first), or undefined. */
export function existingKeyFile(dataDir: string): string | undefined {
  const files = kioskFiles(dataDir);
  if (existsSync(files.keystore)) return files.keystore;
  if (existsSync(files.plainKey)) return files.plainKey;
  return undefined;
}
