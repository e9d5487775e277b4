/**
 * Generated secrets: what a manifest declares under `secrets:` (a random string of N bytes, a key
 * pair), made once per installation, kept in the secrets backend (with versions), and rotated on
 * demand (a new version; the previous one stays readable until it ages out).
 *
 * A generated secret's data (a map of strings, what the backend stores):
 * - `{ random: N }`          -> `value`: N random bytes as base64url (no padding)
 * - `{ keypair: 'ed25519' }` -> `private` (PKCS#8 PEM), `public` (SPKI PEM),
 *   `{ keypair: 'rsa-2048' | 'rsa-4096' }`  `openssh` (an OpenSSH public key line)
 * and `generator` (e.g. `random:24`, `keypair:ed25519`), so a rotation makes the same kind again.
 */
import { generateKeyPair as generateKeyPairCb, randomBytes, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { CasConflictError, SecretNotFoundError, SecretsError } from './errors.js';
import type { SecretData, SecretsBackend } from '../drivers/secrets/types.js';

const generateKeyPair = promisify(generateKeyPairCb);

export const KEYPAIR_TYPES = ['ed25519', 'rsa-2048', 'rsa-4096'] as const;
export type KeypairType = (typeof KEYPAIR_TYPES)[number];
export type GenerateSpec = { random: number } | { keypair: KeypairType };

export const RANDOM_MIN = 8;
export const RANDOM_MAX = 512;

/** `random:24`, `keypair:ed25519` */
export function generatorOf(spec: GenerateSpec): string {
  return 'random' in spec ? `random:${spec.random}` : `keypair:${spec.keypair}`;
}

export function parseGenerator(s: string): GenerateSpec {
  const [kind, arg] = s.split(':');
  if (kind === 'random' && /^\d+$/.test(arg ?? '')) return checkSpec({ random: Number(arg) });
  if (kind === 'keypair') return checkSpec({ keypair: arg as KeypairType });
  throw new SecretsError('invalid', `unknown secret generator "${s}"`);
}

export function checkSpec(spec: GenerateSpec): GenerateSpec {
  if (spec && 'random' in spec) {
    if (!Number.isInteger(spec.random) || spec.random < RANDOM_MIN || spec.random > RANDOM_MAX)
      throw new SecretsError('invalid', `random must be a whole number of bytes from ${RANDOM_MIN} to ${RANDOM_MAX}`);
    return spec;
  }
  if (spec && 'keypair' in spec) {
    if (!KEYPAIR_TYPES.includes(spec.keypair)) throw new SecretsError('invalid', `keypair must be one of ${KEYPAIR_TYPES.join(', ')}`);
    return spec;
  }
  throw new SecretsError('invalid', 'a generated secret is { random: <bytes> } or { keypair: ed25519 | rsa-2048 | rsa-4096 }');
}

/** SSH wire format: a uint32 length, then the bytes */
const sshString = (b: Buffer) => {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(b.length);
  return Buffer.concat([len, b]);
};
/** SSH mpint: big-endian, a leading zero when the top bit is set */
const sshMpint = (b: Buffer) => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return sshString(v[0] & 0x80 ? Buffer.concat([Buffer.from([0]), v]) : v);
};

/** An OpenSSH public key line (`ssh-ed25519 AAAA... comment`) for an Ed25519 or RSA key */
export function opensshPublicKey(key: KeyObject, comment = ''): string {
  const jwk = key.export({ format: 'jwk' });
  let type: string;
  let blob: Buffer;
  if (key.asymmetricKeyType === 'ed25519') {
    type = 'ssh-ed25519';
    blob = Buffer.concat([sshString(Buffer.from(type)), sshString(Buffer.from(jwk.x!, 'base64url'))]);
  } else if (key.asymmetricKeyType === 'rsa') {
    type = 'ssh-rsa';
    blob = Buffer.concat([sshString(Buffer.from(type)), sshMpint(Buffer.from(jwk.e!, 'base64url')), sshMpint(Buffer.from(jwk.n!, 'base64url'))]);
  } else throw new Error(`no OpenSSH format for ${key.asymmetricKeyType} keys`);
  return `${type} ${blob.toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** Makes a secret's data from its spec (see the header); `comment` goes on the OpenSSH line */
export async function generateSecret(spec: GenerateSpec, opts: { comment?: string } = {}): Promise<SecretData> {
  checkSpec(spec);
  const generator = generatorOf(spec);
  if ('random' in spec) return { value: randomBytes(spec.random).toString('base64url'), generator };
  const { publicKey, privateKey } =
    spec.keypair === 'ed25519' ? await generateKeyPair('ed25519') : await generateKeyPair('rsa', { modulusLength: spec.keypair === 'rsa-2048' ? 2048 : 4096 });
  return {
    private: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    public: publicKey.export({ type: 'spki', format: 'pem' }) as string,
    openssh: opensshPublicKey(publicKey, opts.comment),
    generator,
  };
}

/** Whether two secrets' data are the same (same fields, same values) */
export function sameData(a: SecretData, b: SecretData): boolean {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && a[k] === b[k]);
}

/**
 * An installation's generated secrets in a backend, at `installations/<installation>/<name>`.
 * `ensure` makes one only when there is none (check-and-set 0, so two racing installs keep the
 * same secret); `rotate` writes a new version over the current one (check-and-set, so two racing
 * rotations do not both win).
 */
export class GeneratedSecrets {
  constructor(
    private readonly backend: SecretsBackend,
    private readonly root = 'installations',
  ) {}

  path(installation: string, name: string) {
    return `${this.root}/${installation}/${name}`;
  }

  /**
   * The current version; when there is none, one is written: `initial` when given (a value
   * recorded before the backend held it, or a clone's source's), else one generated from `spec`.
   */
  async ensure(installation: string, name: string, spec: GenerateSpec, opts: { initial?: SecretData } = {}): Promise<{ version: number; data: SecretData; created: boolean }> {
    const path = this.path(installation, name);
    try {
      const s = await this.backend.get(path);
      return { version: s.version, data: s.data, created: false };
    } catch (err) {
      if (!(err instanceof SecretNotFoundError)) throw err;
    }
    const data = opts.initial ?? (await generateSecret(spec, { comment: `${installation}-${name}` }));
    try {
      const { version } = await this.backend.put(path, data, { cas: 0 });
      return { version, data, created: true };
    } catch (err) {
      if (!(err instanceof CasConflictError)) throw err;
      const s = await this.backend.get(path); // another writer made it first: theirs wins
      return { version: s.version, data: s.data, created: false };
    }
  }

  async get(installation: string, name: string, version?: number) {
    return this.backend.get(this.path(installation, name), { version });
  }

  /**
   * A new version of a secret, of the same kind as the current one (or `spec`, e.g. when the
   * manifest changed it). The previous version stays readable (`get(..., version)`).
   */
  async rotate(installation: string, name: string, spec?: GenerateSpec): Promise<{ version: number; data: SecretData; previous: number }> {
    const path = this.path(installation, name);
    const current = await this.backend.get(path);
    const next = spec ? checkSpec(spec) : parseGenerator(current.data.generator ?? '');
    const data = await generateSecret(next, { comment: `${installation}-${name}` });
    const { version } = await this.backend.put(path, data, { cas: current.version });
    return { version, data, previous: current.version };
  }

  /**
   * Makes `data` the current version again (a restore bringing back the secret its data was made
   * with, a failed rotation going back): a new version over the current one, or nothing when the
   * current one already holds it.
   */
  async putBack(installation: string, name: string, data: SecretData): Promise<{ version: number; changed: boolean }> {
    const path = this.path(installation, name);
    let current: { version: number; data: SecretData } | undefined;
    try {
      current = await this.backend.get(path);
    } catch (err) {
      if (!(err instanceof SecretNotFoundError)) throw err;
    }
    if (current && sameData(current.data, data)) return { version: current.version, changed: false };
    const { version } = await this.backend.put(path, data, { cas: current?.version ?? 0 });
    return { version, changed: true };
  }

  /** The versions before the current one that are still kept (and not deleted), newest first */
  async earlier(installation: string, name: string): Promise<{ version: number; data: SecretData }[]> {
    const path = this.path(installation, name);
    const { current, versions } = await this.backend.versions(path);
    const out: { version: number; data: SecretData }[] = [];
    for (const v of [...versions].reverse()) {
      if (v.version >= current || v.deleted) continue;
      try {
        out.push(await this.backend.get(path, { version: v.version }));
      } catch (err) {
        if (!(err instanceof SecretNotFoundError)) throw err;
      }
    }
    return out;
  }

  /** One secret, every version (nothing happens when there is none) */
  async remove(installation: string, name: string): Promise<void> {
    await this.backend.delete(this.path(installation, name));
  }

  /** Every generated secret of an installation (uninstall) */
  async removeAll(installation: string): Promise<string[]> {
    const names = (await this.backend.list(`${this.root}/${installation}`)).filter((n) => !n.endsWith('/'));
    for (const n of names) await this.backend.delete(this.path(installation, n));
    return names;
  }
}
