/**
 * @serialport/binding-mock and its types, loaded through `require`: the package's ESM entry
 * ships no types NodeNext can find, so this is the one place that bridges it for sim and tests.
 */
import { createRequire } from 'node:module';

type MockModule = typeof import('@serialport/binding-mock', { with: { 'resolution-mode': 'require' } });
export type { MockPortBinding, CreatePortOptions } from '@serialport/binding-mock' with { 'resolution-mode': 'require' };
export type { BindingInterface, OpenOptions } from '@serialport/bindings-interface' with { 'resolution-mode': 'require' };

const require = createRequire(import.meta.url);
export const { MockBinding } = require('@serialport/binding-mock') as MockModule;
