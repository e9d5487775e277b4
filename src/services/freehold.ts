/** Composition root: opens the store and wires services, engine and drivers together. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { openStore, type Store } from '../store/index.js';
import { Sealer } from '../lib/crypto.js';
import { openMasterKey, type PassphraseSource } from '../secrets/master-key.js';
import { Records } from '../engine/records.js';
import { Tasks } from '../engine/tasks.js';
import { hostHandlers } from '../engine/kinds/index.js';
import type { HandlerRegistry } from '../engine/resource.js';
import type { HostContext } from '../engine/kinds/context.js';
import { Catalog } from './catalog.js';
import { Hosts, localHostContextFactory, type HostContextFactory } from './hosts.js';
import { Installations } from './installations.js';
import { Reconciler } from './reconciler.js';
import { Settings } from './settings.js';
import { Backups } from './backups.js';
import { BackupTargets } from './backup-targets.js';
import { Alerts } from './alerts.js';
import { BackupSchedule } from './backup-schedule.js';
import { Updates } from './updates.js';
import { HealthMonitor } from './health-monitor.js';
import { SealedStateStore, TofuStates } from './tofu-state.js';
import { IpPools } from './ip-pools.js';
import { Domains } from './domains.js';
import { SecretsBackends } from './secrets-backend.js';
import { TofuStateStores } from './tofu-state-secrets.js';
import { Certificates, locateInDomains } from './certificates.js';
import { Placement } from './placement.js';
import { certificateEdgeOf } from '../drivers/edge/index.js';
import type { PublicServices } from '../engine/kinds/context.js';
import { Periodic } from '../lib/periodic.js';

export interface FreeholdOptions {
  dataDir: string;
  /** Opens a master key sealed with a passphrase (else FREEHOLD_PASSPHRASE or FREEHOLD_PASSPHRASE_FILE) */
  passphrase?: PassphraseSource;
  catalogDirs: string[];
  httpsPort?: number;
  httpPort?: number;
  /** Installations named without a dot get this suffix */
  domainSuffix?: string;
  /** For benchmarks and tests only: replaces the real drivers */
  hostContext?: HostContextFactory;
  handlers?: HandlerRegistry<HostContext>;
  /** How long an app may fail its health checks before it is an alert (default 5 min) */
  unhealthyAfterMs?: number;
  log?: (msg: string) => void;
}

export interface Freehold {
  options: FreeholdOptions;
  db: Store;
  tasks: Tasks;
  records: Records;
  catalog: Catalog;
  hosts: Hosts;
  installations: Installations;
  reconciler: Reconciler;
  settings: Settings;
  backups: Backups;
  backupTargets: BackupTargets;
  alerts: Alerts;
  schedule: BackupSchedule;
  health: HealthMonitor;
  /** OpenTofu/Terraform state served over the HTTP backend protocol */
  tofuStates: TofuStates;
  /** The secrets backend in use (builtin or OpenBao), a setting */
  secretsBackends: SecretsBackends;
  updates: Updates;
  /** IP pools (built-in or NetBox) and the addresses allocated to installations */
  ipPools: IpPools;
  /** Domains configured with a DNS provider, and the records of installations on them */
  domains: Domains;
  /** ACME account and the certificates it issued, served by the local edge */
  certificates: Certificates;
  /** Renews the certificates that are due and keeps the edge serving them (started by `up`) */
  certificateRenewal: Periodic;
  close(): Promise<void>;
}

export async function openFreehold(options: FreeholdOptions): Promise<Freehold> {
  mkdirSync(options.dataDir, { recursive: true, mode: 0o700 });
  // The master key first: a sealed store that cannot be opened stops start-up before anything
  // else (the error names each sealing method's failure and what to do).
  const keys = await openMasterKey(options.dataDir, { passphrase: options.passphrase, log: options.log });
  const sealer = new Sealer(keys.sealerKey);
  const db = await openStore(join(options.dataDir, 'freehold.db'));
  const tasks = new Tasks(db);
  const alerts = new Alerts(db, tasks, sealer, options.log);
  const records = new Records(db, sealer);
  const catalog = new Catalog(options.catalogDirs);
  const hostContext = options.hostContext ?? localHostContextFactory(options.dataDir, { httpsPort: options.httpsPort ?? 443, httpPort: options.httpPort ?? 80 });
  // Every host's resources reach the control plane's DNS and certificate services through this
  const publicServices = {} as PublicServices;
  const hosts = new Hosts(db, (h) => Object.assign(hostContext(h), { public: publicServices, secrets: { backends: () => secretsBackends } }));
  await hosts.ensureLocal();
  const domains = new Domains(db, sealer);
  const log = options.log ?? (() => {});
  const certificates = new Certificates(db, sealer, {
    edge: certificateEdgeOf((await hosts.context('local')).edge),
    edgeHttpPort: options.httpPort ?? 80,
    locateDns: locateInDomains(domains),
    // The CA is told to look once the zone's own servers serve the TXT record (hosted DNS may lag)
    dnsVerify: { servers: 'authoritative', timeoutMs: 120_000 },
    log,
  });
  const ipPools = new IpPools(db, sealer);
  Object.assign(publicServices, { domains, certificates, ipPools } satisfies PublicServices);
  const certificateRenewal = new Periodic(
    async () => {
      const r = await certificates.renewDue();
      for (const f of r.failed) await alerts.record({ kind: 'certificate_renewal_failed', severity: 'warning', installation: null, installationId: null, message: `certificate ${f.id} could not be renewed: ${f.error}`, taskId: null });
      await certificates.sync();
    },
    (err) => log(`certificates: ${err.message}`),
  );
  const handlers = options.handlers ?? hostHandlers;
  const installations = new Installations(db, tasks, records, catalog, hosts, handlers, options.domainSuffix ?? 'localhost', new Placement(domains, hosts, certificates, ipPools));
  const reconciler = new Reconciler(db, tasks, records, catalog, hosts, handlers, installations, options.log);
  const settings = new Settings(db);
  const backupTargets = new BackupTargets(db, settings, sealer, options.dataDir);
  const backups = new Backups(tasks, catalog, hosts, installations, backupTargets, options.dataDir);
  const schedule = new BackupSchedule(db, tasks, settings, backups, installations, alerts, options.log);
  const health = new HealthMonitor(records, hosts, installations, alerts, { unhealthyAfterMs: options.unhealthyAfterMs, log: options.log });
  for (const kind of ['backup', 'restore', 'clone']) reconciler.onResume(kind, (t) => backups.resume(t));
  const updates = new Updates(tasks, catalog, hosts, installations, backups, settings, options.log);
  for (const kind of ['update', 'rollback']) reconciler.onResume(kind, (t) => updates.resume(t));
  const secretsBackends = new SecretsBackends(settings, sealer, { keyring: keys.keyring }, options.log);
  await secretsBackends.load();
  const tofuStates = new TofuStates(db, new TofuStateStores(db, new SealedStateStore(db, sealer), secretsBackends, options.log), options.log);
  return {
    options, db, tasks, records, catalog, hosts, installations, reconciler, settings, backups, backupTargets, alerts, schedule,
    health, updates,
    tofuStates,
    secretsBackends,
    ipPools,
    domains,
    certificates,
    certificateRenewal,
    async close() {
      await certificateRenewal.stop();
      await updates.stop();
      await reconciler.stop();
      await health.stop();
      await alerts.close();
      await schedule.stop();
      await db.destroy();
      keys.close(); // zeroes the key the Sealer holds: last
    },
  };
}
