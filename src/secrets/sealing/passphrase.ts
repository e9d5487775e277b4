/**
 * A passphrase: scrypt (node:crypto) derives a key-encryption key from the passphrase and a
 * random salt; the master key is sealed with it (AES-256-GCM, the master key's id as associated
 * data). The parameters and salt are stored with the slot, so they can be raised later without
 * breaking old slots. A wrong passphrase fails GCM's authentication: a clear error, not garbage.
 *
 * Defaults N=2^17, r=8, p=1 (128 MiB, about 0.3 s here): OWASP's scrypt recommendation.
 */
import { randomBytes, scrypt as scryptCb, type ScryptOptions } from 'node:crypto';
import { AuthenticationFailed, decrypt, encrypt, wipe } from '../aead.js';
import { SecretsError, UnsealError, WrongPassphraseError } from '../errors.js';
import type { SealMethod } from './index.js';

export interface PassphraseOptions {
  passphrase: string;
  /** scrypt cost (a power of two); default 2^17 */
  N?: number;
  r?: number;
  p?: number;
}

export interface PassphraseParams {
  kdf: 'scrypt';
  N: number;
  r: number;
  p: number;
  salt: string;
  sealed: string;
}

export const MIN_PASSPHRASE_LENGTH = 8;
const DEFAULTS = { N: 2 ** 17, r: 8, p: 1 };

const derive = (passphrase: string, salt: Buffer, o: { N: number; r: number; p: number }) =>
  new Promise<Buffer>((resolve, reject) => {
    const options: ScryptOptions = { N: o.N, r: o.r, p: o.p, maxmem: 256 * o.N * o.r + 16 * 1024 * 1024 };
    scryptCb(passphrase.normalize('NFC'), salt, 32, options, (err, key) => (err ? reject(err) : resolve(key)));
  });

const aad = (masterId: string) => `freehold master key|${masterId}`;

export const passphrase: SealMethod<PassphraseOptions, PassphraseParams> = {
  kind: 'passphrase',
  unattended: false,
  async seal(key, o, masterId) {
    if (typeof o.passphrase !== 'string' || [...o.passphrase].length < MIN_PASSPHRASE_LENGTH)
      throw new SecretsError('invalid', `a passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long`);
    const N = o.N ?? DEFAULTS.N;
    if (!Number.isInteger(Math.log2(N)) || N < 2 ** 10) throw new SecretsError('invalid', 'scrypt N must be a power of two, at least 1024');
    const params = { N, r: o.r ?? DEFAULTS.r, p: o.p ?? DEFAULTS.p };
    const salt = randomBytes(16);
    const kek = await derive(o.passphrase, salt, params);
    try {
      return { kdf: 'scrypt', ...params, salt: salt.toString('base64'), sealed: encrypt(kek, key, aad(masterId)).toString('base64') };
    } finally {
      wipe(kek);
    }
  },
  async unseal(params, ctx) {
    const given = await ctx.passphrase();
    if (given === undefined) throw new UnsealError('no passphrase given', 'start freehold with FREEHOLD_PASSPHRASE set (or --passphrase-file <file>)');
    if (params.kdf !== 'scrypt') throw new UnsealError(`unknown key derivation ${params.kdf}`);
    const kek = await derive(given, Buffer.from(params.salt, 'base64'), params);
    try {
      return decrypt(kek, Buffer.from(params.sealed, 'base64'), aad(ctx.masterId));
    } catch (err) {
      if (err instanceof AuthenticationFailed) throw new WrongPassphraseError();
      throw err;
    } finally {
      wipe(kek);
    }
  },
  describe(params) {
    return `passphrase (scrypt N=2^${Math.log2(params.N)}, r=${params.r}, p=${params.p})`;
  },
  async resealOptions(params, ctx) {
    const given = await ctx.passphrase();
    if (given === undefined) throw new SecretsError('invalid', 'the passphrase is needed to seal the new master key the same way: give it (FREEHOLD_PASSPHRASE or --passphrase-file)');
    // Proves it is this slot's passphrase before sealing anything with it.
    wipe(await passphrase.unseal(params, ctx));
    return { passphrase: given, N: params.N, r: params.r, p: params.p };
  },
};
