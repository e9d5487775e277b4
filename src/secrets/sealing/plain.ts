/**
 * `plain`: the master key in the clear in the keyring, as `master.key` kept it before. Only for a
 * store nobody has sealed yet; sealing it any other way removes this slot.
 */
import type { SealMethod } from './index.js';

export interface PlainParams {
  key: string;
}

export const plain: SealMethod<Record<string, never>, PlainParams> = {
  kind: 'plain',
  unattended: true,
  async seal(key) {
    return { key: key.toString('base64') };
  },
  async unseal(params) {
    return Buffer.from(params.key, 'base64');
  },
  describe() {
    return 'not sealed: the master key is in the clear in secrets.db';
  },
  async resealOptions() {
    return {};
  },
};
