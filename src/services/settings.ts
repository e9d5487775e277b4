/** Settings of the control plane, and its admin token (stored as a hash only). */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/index.js';

const sha = (s: string) => createHash('sha256').update(s).digest();

export class Settings {
  constructor(private readonly db: Store) {}

  async get(key: string): Promise<string | undefined> {
    return (await this.db.selectFrom('settings').select('value').where('key', '=', key).executeTakeFirst())?.value;
  }

  async set(key: string, value: string) {
    await this.db.insertInto('settings').values({ key, value }).onConflict((oc) => oc.column('key').doUpdateSet({ value })).execute();
  }

  /** Creates the admin token on first run; returns it only then (afterwards only its hash is known) */
  async ensureAdminToken(): Promise<string | undefined> {
    if (await this.get('admin_token_sha256')) return undefined;
    const token = `fh_${randomBytes(24).toString('base64url')}`;
    await this.set('admin_token_sha256', sha(token).toString('hex'));
    return token;
  }

  async checkAdminToken(token: string): Promise<boolean> {
    const stored = await this.get('admin_token_sha256');
    if (!stored) return false;
    return timingSafeEqual(sha(token), Buffer.from(stored, 'hex'));
  }
}
