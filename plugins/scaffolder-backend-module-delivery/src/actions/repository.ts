import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, posix, relative, sep } from 'node:path';
import yaml from 'yaml';

/** The stacks the onboarding template knows how to build. */
export const STACKS = ['node', 'go', 'dockerfile'] as const;
export type Stack = (typeof STACKS)[number];

/** What an existing repository holds that onboarding needs to know. */
export interface RepositoryFacts {
  stack: Stack;
  /** Why that stack: the file that decided it. */
  detectedFrom: string;
  /** The repository has a Dockerfile at its root. */
  dockerfile: boolean;
  /** Node: package.json has a real `test` script; Go: there are _test.go files. */
  hasTests: boolean;
  /** Node: the entry point (package.json `main`, else index.js). */
  nodeMain?: string;
  /** Node: package.json has a `build` script. */
  nodeBuild?: boolean;
  /** Go: the module path of go.mod. */
  goModule?: string;
  /** Existing GitHub Actions workflows, repository-relative. */
  workflows: string[];
  /** Existing Kubernetes manifests (YAML with apiVersion and kind). */
  manifests: string[];
  /** The repository has a catalog-info.yaml at its root. */
  catalogInfo: boolean;
}

const IGNORED_DIRS = new Set(['.git', 'node_modules', 'vendor', 'dist']);

/** Every file under dir, repository-relative with forward slashes. */
export function listFiles(dir: string, root = dir): string[] {
  if (!existsSync(dir)) return [];
  // A copy: arrays Node makes belong to its own realm, which a sandboxed
  // template renderer refuses.
  return [...readdirSync(dir)].flatMap(name => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      return IGNORED_DIRS.has(name) ? [] : listFiles(path, root);
    }
    return [relative(root, path).split(sep).join(posix.sep)];
  });
}

function isKubernetesManifest(content: string): boolean {
  try {
    return yaml.parseAllDocuments(content).some(doc => {
      const value = doc.toJS();
      return (
        value &&
        typeof value === 'object' &&
        typeof value.apiVersion === 'string' &&
        typeof value.kind === 'string' &&
        // Backstage's own descriptors are not cluster objects.
        !value.apiVersion.startsWith('backstage.io/') &&
        !value.apiVersion.startsWith('scaffolder.backstage.io/')
      );
    });
  } catch {
    return false;
  }
}

/**
 * Looks at an existing repository (checked out at dir) and says what it is.
 * `wanted` forces a stack; it must still be buildable (a Dockerfile for the
 * generic stack, go.mod for Go, package.json for Node).
 */
export function inspectRepository(
  dir: string,
  wanted: Stack | 'auto' = 'auto',
): RepositoryFacts {
  const files = listFiles(dir);
  const has = (path: string) => files.includes(path);
  const read = (path: string) => readFileSync(join(dir, path), 'utf8');
  const detected: [Stack, string] | undefined = [
    ['go', 'go.mod'] as [Stack, string],
    ['node', 'package.json'] as [Stack, string],
    ['dockerfile', 'Dockerfile'] as [Stack, string],
  ].find(
    ([stack, file]) => (wanted === 'auto' || wanted === stack) && has(file),
  );
  if (!detected) {
    throw new Error(
      wanted === 'auto'
        ? `The repository has none of go.mod, package.json or a Dockerfile at its root, so its stack is unknown; add a Dockerfile, or choose the stack in the form`
        : `The repository has no ${
            { go: 'go.mod', node: 'package.json', dockerfile: 'Dockerfile' }[
              wanted
            ]
          } at its root, which the ${wanted} stack builds from`,
    );
  }
  const [stack, detectedFrom] = detected;
  const facts: RepositoryFacts = {
    stack,
    detectedFrom,
    dockerfile: has('Dockerfile'),
    hasTests: false,
    workflows: files.filter(f => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(f)),
    manifests: files.filter(
      f =>
        /\.ya?ml$/.test(f) &&
        !f.startsWith('.github/') &&
        isKubernetesManifest(read(f)),
    ),
    catalogInfo: has('catalog-info.yaml'),
  };
  if (stack === 'node') {
    let pkg: { main?: string; scripts?: Record<string, string> };
    try {
      pkg = JSON.parse(read('package.json'));
    } catch (error) {
      throw new Error(`package.json is not valid JSON: ${error}`);
    }
    const test = pkg.scripts?.test ?? '';
    facts.hasTests = test !== '' && !/no test specified/.test(test);
    facts.nodeMain = pkg.main ?? 'index.js';
    facts.nodeBuild = Boolean(pkg.scripts?.build);
  }
  if (stack === 'go') {
    facts.goModule = /^module\s+(\S+)/m.exec(read('go.mod'))?.[1];
    facts.hasTests = files.some(f => f.endsWith('_test.go'));
  }
  return facts;
}

/** The outcome of laying the golden path's files over a repository. */
export interface OnboardingPlan {
  /** Files the pull request adds. */
  added: string[];
  /** Existing files the pull request changes (catalog-info annotations). */
  modified: { path: string; before: string; after: string }[];
  /** Golden-path files not added because the repository has its own. */
  skipped: { path: string; reason: string }[];
}

/**
 * Folders laid down as a whole or not at all: overlays without their base (or
 * the other way round) would not build.
 */
const UNITS = ['deploy/'];

/**
 * Decides, file by file, what the pull request contains: nothing of the
 * repository is overwritten; a golden-path file whose path exists is skipped
 * (with its whole unit), except catalog-info.yaml, whose component gets the
 * delivery annotations.
 */
export function planOnboarding(input: {
  /** The repository's files, repository-relative. */
  files: string[];
  existing: (path: string) => string | undefined;
  rendered: string[];
  componentName: string;
  annotations: Record<string, string>;
  /** Annotations set only where the entry has none of that key. */
  defaults?: Record<string, string>;
}): OnboardingPlan {
  const { files, existing, rendered, componentName, annotations } = input;
  const plan: OnboardingPlan = { added: [], modified: [], skipped: [] };
  const blockedUnits = UNITS.filter(unit =>
    files.some(p => p.startsWith(unit)),
  );
  for (const path of [...rendered].sort()) {
    const before = existing(path);
    const unit = blockedUnits.find(u => path.startsWith(u));
    if (path === 'catalog-info.yaml' && before !== undefined) {
      const merged = annotateCatalogInfo(
        before,
        componentName,
        annotations,
        input.defaults,
      );
      if (merged.kind === 'changed') {
        plan.modified.push({ path, before, after: merged.content });
      } else {
        plan.skipped.push({ path, reason: merged.reason });
      }
    } else if (before !== undefined) {
      plan.skipped.push({ path, reason: 'the repository has its own' });
    } else if (unit) {
      plan.skipped.push({
        path,
        reason: `the repository has its own files in ${unit}, which this would not build with`,
      });
    } else {
      plan.added.push(path);
    }
  }
  return plan;
}

/**
 * Adds the annotations to the Component of an existing catalog-info.yaml,
 * keeping its comments and layout; says why not when it cannot.
 */
export function annotateCatalogInfo(
  content: string,
  componentName: string,
  annotations: Record<string, string>,
  defaults: Record<string, string> = {},
):
  | { kind: 'changed'; content: string }
  | { kind: 'unchanged'; reason: string } {
  const docs = yaml.parseAllDocuments(content);
  if (docs.some(d => d.errors.length)) {
    return {
      kind: 'unchanged',
      reason: 'the repository has its own, which is not valid YAML',
    };
  }
  const doc = docs.find(d => {
    const v = d.toJS();
    return v?.kind === 'Component' && v?.metadata?.name === componentName;
  });
  if (!doc) {
    return {
      kind: 'unchanged',
      reason: `the repository has its own, without a Component named ${componentName}: add the annotations where the component is defined`,
    };
  }
  let changed = false;
  for (const [key, value] of Object.entries(defaults)) {
    if (!doc.hasIn(['metadata', 'annotations', key])) {
      doc.setIn(['metadata', 'annotations', key], value);
      changed = true;
    }
  }
  for (const [key, value] of Object.entries(annotations)) {
    if (doc.getIn(['metadata', 'annotations', key]) !== value) {
      doc.setIn(['metadata', 'annotations', key], value);
      changed = true;
    }
  }
  if (!changed) {
    return {
      kind: 'unchanged',
      reason: 'the repository has its own, with the annotations already',
    };
  }
  return {
    kind: 'changed',
    content: docs
      .map(d => d.toString())
      .join('')
      .replace(/\n*$/, '\n'),
  };
}

/** The pull request's description: what it adds, changes and leaves alone. */
export function describeOnboarding(input: {
  componentRef: string;
  ladder: string;
  facts: RepositoryFacts;
  plan: OnboardingPlan;
  /** Evidence the ladder requires that the added pipeline does not record. */
  missingEvidence: string[];
}): string {
  const { componentRef, ladder, facts, plan, missingEvidence } = input;
  const list = (items: string[]) => items.map(i => `- \`${i}\``).join('\n');
  const stackText = {
    node: 'Node.js',
    go: 'Go',
    dockerfile: 'a Dockerfile (generic)',
  }[facts.stack];
  const sections = [
    `Puts \`${componentRef}\` on the delivery golden path, on the **${ladder}** ladder. Stack: ${stackText} (from \`${facts.detectedFrom}\`).`,
    `### Added\n\n${plan.added.length ? list(plan.added) : '_nothing_'}`,
  ];
  if (plan.modified.length) {
    sections.push(
      `### Changed\n\n${plan.modified
        .map(m => `- \`${m.path}\`: the delivery annotations`)
        .join('\n')}`,
    );
  }
  const kept = [
    ...plan.skipped.map(s => `- \`${s.path}\`: not added, ${s.reason}`),
    ...facts.workflows
      .filter(w => !plan.skipped.some(s => s.path === w))
      .map(w => `- \`${w}\`: existing workflow, unchanged`),
    ...facts.manifests
      .filter(m => !plan.skipped.some(s => s.path === m))
      .map(m => `- \`${m}\`: existing Kubernetes manifest, unchanged`),
  ];
  if (kept.length) {
    sections.push(
      `### Left as they are\n\nNothing of the repository is overwritten. Merge these by hand where the golden path needs them:\n\n${kept.join(
        '\n',
      )}`,
    );
  }
  const todo: string[] = [];
  if (!facts.hasTests && facts.stack !== 'dockerfile') {
    todo.push(
      'The repository has no tests the pipeline can run: `unit-test` evidence stays failed until it has.',
    );
  }
  if (missingEvidence.length) {
    todo.push(
      `The ${ladder} ladder requires evidence this pipeline does not record yet: ${missingEvidence
        .map(k => `\`${k}\``)
        .join(
          ', ',
        )}. Add a job that records it (\`delivery evidence junit --kind <kind>\`), or the gates will refuse those environments.`,
    );
  }
  todo.push(
    'Set the `DELIVERY_URL` variable and the `DELIVERY_TOKEN` secret (and a `KUBECONFIG` secret per GitHub environment) before merging.',
  );
  sections.push(`### Before merging\n\n${todo.map(t => `- ${t}`).join('\n')}`);
  return `${sections.join('\n\n')}\n`;
}
