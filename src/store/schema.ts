/** Table types of the control-plane store (Kysely). JSON columns hold text. */
import type { Generated } from 'kysely';

export interface HostTable {
  id: string;
  name: string;
  provider: string; // local, ssh, proxmox, ...
  runtime: string; // podman, ...
  config: string; // JSON
  created_at: string;
}

export interface InstallationTable {
  id: string;
  name: string; // unique; also the first label of its domain
  app_id: string;
  app_version: string;
  package_version: number;
  host_id: string;
  domain: string;
  config: string; // JSON of the user's config values
  status: string; // installing | running | updating | failed | uninstalling | stopped
  /** JSON of the manifest this installation runs (null: rows made before 0004; the catalog's then) */
  manifest: string | null;
  /** JSON of what each component runs (AppImages), with the manifest */
  images: string | null;
  created_at: string;
  updated_at: string;
}

export interface ResourceTable {
  installation_id: string;
  key: string; // e.g. container:web
  kind: string;
  spec: string; // JSON of the desired spec when it was last applied
  spec_hash: string;
  outputs: string; // JSON, encrypted (may hold credentials)
  updated_at: string;
}

export interface TaskTable {
  id: string;
  installation_id: string | null;
  kind: string; // install | uninstall | apply | reconcile
  status: string; // queued | running | succeeded | failed | rolled_back
  percent: number;
  message: string;
  error: string | null;
  params: string; // JSON
  created_at: string;
  updated_at: string;
}

export interface JournalTable {
  id: Generated<number>;
  task_id: string;
  at: string;
  resource_key: string;
  action: string; // create | update | delete | repair
  phase: string; // intent | done | failed
  detail: string | null;
}

export interface TaskLogTable {
  id: Generated<number>;
  task_id: string;
  at: string;
  line: string;
}

export interface SettingTable {
  key: string;
  value: string;
}

export interface BackupTargetTable {
  name: string; // unique; "local" is built in and not stored here
  kind: string; // local | sftp | s3
  repo: string; // restic's -r value (holds no secret)
  env: string; // sealed JSON: backend environment, options and credentials (e.g. the SSH key)
  password: string; // sealed repository password
  created_at: string;
}

export interface InstallationBackupTargetTable {
  installation: string; // installation name
  target: string;
}

export interface EventTable {
  id: Generated<number>;
  at: string;
  installation_id: string | null;
  installation: string | null; // installation name (kept when the installation is gone)
  kind: string; // install_failed | update_failed | backup_failed | restore_failed | clone_failed | repair_failed | app_unhealthy
  severity: string; // info | warning | error
  message: string;
  task_id: string | null;
}

export interface AlertChannelTable {
  name: string; // unique
  kind: string; // webhook | email
  config: string; // sealed JSON (may hold a password or a token in a URL)
  created_at: string;
}

export interface Database {
  hosts: HostTable;
  installations: InstallationTable;
  resources: ResourceTable;
  tasks: TaskTable;
  journal: JournalTable;
  task_log: TaskLogTable;
  settings: SettingTable;
  backup_targets: BackupTargetTable;
  installation_backup_targets: InstallationBackupTargetTable;
  events: EventTable;
  alert_channels: AlertChannelTable;
  tofu_states: TofuStateTable;
  tofu_state_versions: TofuStateVersionTable;
  ip_pools: IpPoolTable;
  ipam_allocations: IpamAllocationTable;
  ipam_prefixes: IpamPrefixTable;
  domains: DomainTable;
  domain_records: DomainRecordTable;
  acme_accounts: AcmeAccountTable;
  certificates: CertificateTable;
}

/** An OpenTofu/Terraform state served over the HTTP backend protocol (its lock and current version) */
export interface TofuStateTable {
  name: string;
  version: number; // the state store's number of the current version (0: no state yet, e.g. only locked)
  serial: number | null; // the state's own "serial" (terraform counts its writes)
  lineage: string | null;
  md5: string | null; // base64 MD5 of the current state's bytes (the Content-MD5 answered on GET)
  size: number;
  lock_info: string | null; // the lock info JSON the holder sent ({ID, Operation, Info, Who, Version, Created, Path}); null: not locked
  locked_at: string | null;
  created_at: string;
  updated_at: string;
}

/** The built-in state store: each kept version of a state, sealed */
export interface TofuStateVersionTable {
  name: string;
  version: number;
  state: string; // sealed (AES-256-GCM) state JSON
  md5: string;
  size: number;
  serial: number | null;
  created_at: string;
}

/** An IP pool: which provider hands out its addresses, and how (services/ip-pools.ts) */
export interface IpPoolTable {
  name: string;
  provider: string; // builtin | netbox
  config: string; // sealed JSON (a NetBox token)
  created_at: string;
}

/** An address in use in a built-in pool; the primary key (pool, address) keeps it unique */
export interface IpamAllocationTable {
  pool: string;
  address: string; // canonical text: 10.20.0.5, fd00:20::5
  prefix: string; // the pool's prefix it came from (CIDR)
  ord: string; // the address as fixed-width hex, so that it sorts like the number
  family: number; // 4 | 6
  owner: string; // installation name (or whoever asked)
  description: string;
  created_at: string;
}

/** Per prefix of a built-in pool: where the next allocation starts and how many addresses are in use */
export interface IpamPrefixTable {
  pool: string;
  prefix: string;
  next: string; // fixed-width hex, like ipam_allocations.ord
  used: number;
}

/** A domain configured with a DNS provider (services/domains.ts) */
export interface DomainTable {
  name: string; // e.g. example.org (installations get <name>.example.org)
  zone: string; // the DNS zone holding it: the domain itself or a parent
  provider: string; // rfc2136 | powerdns | desec | cloudflare
  config: string; // sealed JSON of the provider's configuration (TSIG secret, API key, token)
  ttl: number; // TTL of the records Freehold makes
  challenge: string; // http-01 | dns-01: how installations' certificates are validated
  created_at: string;
}

/** The records Freehold keeps for an installation on a domain (JSON RecordSet[], names relative to the zone) */
export interface DomainRecordTable {
  domain: string;
  installation: string;
  records: string;
  updated_at: string;
}

/** An account at an ACME CA, one per directory URL (services/certificates.ts) */
export interface AcmeAccountTable {
  directory_url: string;
  email: string | null;
  ca_bundle: string | null; // PEM trusted for the directory's HTTPS (a private or test CA)
  key: string; // sealed PEM account key
  url: string | null; // the account URL at the CA, once registered
  is_current: number; // 1: the account new certificates are issued with
  created_at: string;
  updated_at: string;
}

/** A certificate issued through ACME and served by the edge */
export interface CertificateTable {
  id: string; // e.g. cal.example.org, wildcard.example.org
  domains: string; // JSON string[]
  challenge: string; // http-01 | dns-01
  owner: string | null; // installation name
  directory_url: string; // the CA (account) that issued it, which revokes it
  certificate: string; // PEM, with its chain
  key: string; // sealed PEM private key
  serial: string; // hex
  issuer: string;
  not_before: string;
  not_after: string;
  status: string; // valid | revoked
  last_error: string | null; // the last renewal failure
  created_at: string;
  updated_at: string;
}
