/** App versions as written in manifests (1.2 or 1.2.3, with an optional -suffix), compared as semver. */
import semver from 'semver';

/** A manifest version as semver (1.2 reads as 1.2.0), for ordering and ranges */
export function semverOf(version: string): string {
  return semver.valid(version) ?? semver.coerce(version, { includePrerelease: true })?.version ?? '0.0.0';
}

/** Orders app versions: upstream version first, then packaging revision */
export function compareVersions(a: { version: string; packageVersion: number }, b: { version: string; packageVersion: number }) {
  return semver.compare(semverOf(a.version), semverOf(b.version)) || a.packageVersion - b.packageVersion;
}

/** Whether upstream version `to` is newer than `from` (a packaging revision alone is not) */
export const isNewerVersion = (to: string, from: string) => semver.gt(semverOf(to), semverOf(from));

/** How big a step from one upstream version to another is */
export function versionStep(from: string, to: string): 'major' | 'minor' | 'patch' | 'none' {
  const a = semverOf(from);
  const b = semverOf(to);
  if (semver.major(a) !== semver.major(b)) return 'major';
  if (semver.minor(a) !== semver.minor(b)) return 'minor';
  return semver.eq(a, b) ? 'none' : 'patch';
}

/** Whether `version` is in a semver range (undefined range: any version) */
export const inRange = (version: string, range: string | undefined) => range === undefined || semver.satisfies(semverOf(version), range, { includePrerelease: true });
