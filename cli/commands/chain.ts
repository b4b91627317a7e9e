/** `waymark chain deploy`: deploys the Waymark contracts to any EVM node and prints their addresses. */
import { resolve } from 'node:path';
import { Wallet } from 'ethers';
import type { CliCommand } from '../command.js';
import { WaymarkError } from '../../core/errors.js';
import { ANVIL_DEV_KEYS } from '../../contracts/anvil.js';
import { connectProvider } from '../../contracts/client.js';
import { deploy } from '../../contracts/actions/deploy.js';
import { loadKioskKey } from '../../contracts/kiosk-key.js';
import { probeChainId } from '../../kiosk/batcher/outbox-chain.js';
import { booleanFlag, intFlag, stringFlag, urlFlag } from '../flags.js';

export const chainDeployCommand: CliCommand = {
  name: 'chain deploy',
  summary: 'Deploy the WaymarkRegistry to an EVM node and print its address',
  options: {
    rpc: { type: 'string', description: 'JSON-RPC URL of the node (required)' },
    'key-file': { type: 'string', description: "deployer (registry admin) key: JSON keystore or 0x-hex file; default anvil's dev key 0" },
    'passphrase-file': { type: 'string', description: 'keystore passphrase file (else $WAYMARK_KEY_PASSPHRASE)' },
    'chain-id': { type: 'string', description: 'refuse to deploy unless the node is this chain' },
    'exposure-expiry-s': { type: 'string', description: 'seconds after an exposure window until the venue is Clean again (default 14 days)' },
    json: { type: 'boolean', description: 'print the result as one JSON object' },
  },
  usage: `Examples:
  waymark chain deploy --rpc http://127.0.0.1:8545 --json              # anvil / a dev node, dev key 0
  waymark chain deploy --rpc https://rpc.example --key-file admin.json  # a keystore; passphrase from $WAYMARK_KEY_PASSPHRASE
The deployer becomes the registry admin. Put the printed registry address in the kiosk config (chain.registry).`,
  async run({ values }, io) {
    const rpc = urlFlag(values, 'rpc', { required: 'URL' });
    const expectedChainId = intFlag(values, 'chain-id', { min: 1, max: Number.MAX_SAFE_INTEGER });
    const expiry = intFlag(values, 'exposure-expiry-s', { min: 0, max: 2 ** 32 - 1 });
    const keyFileFlag = stringFlag(values, 'key-file');
    const passphraseFile = stringFlag(values, 'passphrase-file');
    let privateKey = ANVIL_DEV_KEYS[0]!;
    let keySource = "anvil's dev key 0";
    if (keyFileFlag) {
      const keyFile = resolve(io.cwd, keyFileFlag);
      const key = await loadKioskKey({
        keyFile,
        passphraseFile: passphraseFile ? resolve(io.cwd, passphraseFile) : undefined,
        env: io.env,
      });
      for (const w of key.warnings) io.stderr(`warning: ${w}\n`);
      privateKey = key.privateKey;
      keySource = keyFile;
    }
    const chainId = await probeChainId(rpc, 10_000);
    if (expectedChainId !== undefined && chainId !== BigInt(expectedChainId)) {
      throw new WaymarkError('WAYMARK_ERR_CONFIG_INVALID', `--chain-id ${expectedChainId} but the node at ${rpc} is chain ${chainId}`);
    }
    const provider = connectProvider(rpc, { chainId: Number(chainId), pollingIntervalMs: 200 });
    try {
      const signer = new Wallet(privateKey, provider);
      const out = await deploy(signer, expiry === undefined ? {} : { exposureExpirySeconds: expiry });
      const receipt = await provider.getTransactionReceipt(out.txHashes[0]!);
      const result = {
        rpcUrl: rpc,
        chainId: Number(chainId),
        registry: out.registry,
        contracts: { registry: out.registry },
        admin: out.admin,
        exposureExpirySeconds: Number(out.exposureExpirySeconds),
        txHash: out.txHashes[0],
        blockNumber: receipt?.blockNumber ?? null,
      };
      if (booleanFlag(values, 'json')) io.stdout(JSON.stringify(result) + '\n');
      else {
        io.stdout(`WaymarkRegistry deployed on chain ${result.chainId}\n  registry: ${out.registry}\n  admin:    ${out.admin} (${keySource})\n  tx:       ${result.txHash} (block ${result.blockNumber})\n`);
      }
      return 0;
    } finally {
      provider.destroy();
    }
  },
};

export const chainCommands: CliCommand[] = [chainDeployCommand];
