/**
 * AES-256-GCM on buffers, with associated data binding each ciphertext to where it belongs (a
 * data key to its scope, a secret version to its path and number), so a ciphertext moved to
 * another row does not open. Layout: 1 byte format (1), 12 bytes IV, 16 bytes tag, ciphertext.
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

const FORMAT = 1;

export function encrypt(key: Buffer, plain: Buffer, aad: string): Buffer {
  if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes');
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  c.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([c.update(plain), c.final()]);
  return Buffer.concat([Buffer.from([FORMAT]), iv, c.getAuthTag(), body]);
}

/** Throws `AuthenticationFailed` when the key, the data or the associated data is not the right one */
export function decrypt(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (key.length !== 32) throw new Error('an AES-256 key is 32 bytes');
  if (sealed.length < 29 || sealed[0] !== FORMAT) throw new Error('sealed value has an unknown format');
  const d = createDecipheriv('aes-256-gcm', key, sealed.subarray(1, 13));
  d.setAAD(Buffer.from(aad, 'utf8'));
  d.setAuthTag(sealed.subarray(13, 29));
  try {
    return Buffer.concat([d.update(sealed.subarray(29)), d.final()]);
  } catch {
    throw new AuthenticationFailed();
  }
}

export class AuthenticationFailed extends Error {
  constructor() {
    super('the key does not open this value (AES-GCM authentication failed)');
    this.name = 'AuthenticationFailed';
  }
}

/** A short public name for a key (HMAC of a constant): tells keys apart without revealing them */
export const keyId = (key: Buffer) => createHmac('sha256', key).update('freehold key id').digest('hex').slice(0, 16);

/** Overwrites a buffer that held a key */
export const wipe = (b: Buffer | undefined) => void b?.fill(0);
