import { Gauge, Registry } from 'prom-client';
import { Ledger } from '../../database/Ledger';

/** The text Prometheus scrapes, and its content type. */
export interface Exposition {
  contentType: string;
  body: string;
}

/**
 * Release markers for dashboards, in Prometheus' text format:
 * `delivery_release_info{component,environment,digest,version} 1` for what
 * runs in each environment, and `delivery_release_timestamp_seconds` (same
 * labels) for when it went live, so a panel can mark each release with
 * `changes(delivery_release_timestamp_seconds[5m]) > 0`. `version` is the
 * release's first tag, or its short digest when it has none. Only the
 * components the caller may see.
 */
export async function releaseMarkers(
  ledger: Ledger,
  visible: (refs: string[]) => Promise<Set<string>>,
): Promise<Exposition> {
  const releases = await ledger.releases.allReleases();
  const seen = await visible(releases.map(r => r.componentRef));
  const shown = releases.filter(r => seen.has(r.componentRef));
  const artifacts = await ledger.artifacts.getArtifacts(
    shown.map(r => r.artifactId),
  );
  const registry = new Registry();
  const labelNames = ['component', 'environment', 'digest', 'version'];
  const info = new Gauge({
    name: 'delivery_release_info',
    help: 'The release running in each environment (always 1), by component, environment, digest and version.',
    labelNames,
    registers: [registry],
  });
  const since = new Gauge({
    name: 'delivery_release_timestamp_seconds',
    help: 'When the release running in each environment went live (Unix time).',
    labelNames,
    registers: [registry],
  });
  for (const release of shown) {
    const artifact = artifacts.get(release.artifactId);
    if (!artifact) continue;
    const labels = {
      component: release.componentRef,
      environment: release.environment,
      digest: artifact.digest,
      version: artifact.tags[0] ?? artifact.digest.slice(0, 19),
    };
    info.set(labels, 1);
    since.set(labels, release.releasedAt / 1000);
  }
  return { contentType: registry.contentType, body: await registry.metrics() };
}
