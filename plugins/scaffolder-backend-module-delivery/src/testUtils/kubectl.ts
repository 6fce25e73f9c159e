import { execFileSync } from 'node:child_process';

/**
 * A kubectl whose built-in kustomize builds today's overlays (`labels`,
 * `replicas`: kustomize 4.1 or later, kubectl 1.21 or later), from $KUBECTL or
 * the PATH; undefined, with the reason printed once, when there is none.
 */
function findKubectl(): string | undefined {
  const candidate = process.env.KUBECTL || 'kubectl';
  try {
    const out = execFileSync(candidate, ['version', '--client', '-o', 'json'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    const { clientVersion, kustomizeVersion } = JSON.parse(out);
    const minor = Number.parseInt(clientVersion?.minor ?? '0', 10);
    if (minor >= 21 && kustomizeVersion) return candidate;
    // eslint-disable-next-line no-console
    console.warn(
      `kubectl ${clientVersion?.gitVersion} is too old to build the overlays; kustomize tests are skipped`,
    );
  } catch {
    // eslint-disable-next-line no-console
    console.warn(
      'No kubectl on PATH (or $KUBECTL): the kustomize build tests are skipped',
    );
  }
  return undefined;
}

export const kubectl = findKubectl();
