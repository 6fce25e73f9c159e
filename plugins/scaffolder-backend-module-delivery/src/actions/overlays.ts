import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { resolveSafeChildPath } from '@backstage/backend-plugin-api';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import { KUBERNETES_ID_ANNOTATION } from '@backstage-delivery/plugin-delivery-common';
import yaml from 'yaml';
import { examples } from './overlays.examples';
import {
  DNS_LABEL,
  IMAGE_REPOSITORY,
  LABEL_VALUE,
  LADDER_NAME,
} from './validation';

/**
 * The digest the overlays start with, before the first build: the pipeline
 * replaces it on every deploy (`kustomize edit set image`), so the manifests
 * in git always reference an image by digest and never by a tag.
 */
export const UNBUILT_DIGEST = `sha256:${'0'.repeat(64)}`;

/** Label that says which environment an object belongs to. */
export const ENVIRONMENT_LABEL = 'app.kubernetes.io/environment';

interface Overlay {
  environment: string;
  namespace?: string;
  replicas: number;
  pdb: boolean;
  cluster?: string;
}

/**
 * `delivery:kubernetes:overlays` — writes a kustomize overlay for every
 * environment of the component's ladder (and one for preview namespaces) on
 * top of the skeleton's base: the environment's namespace, the image by
 * digest, replicas, and a PodDisruptionBudget where more than one replica
 * runs. The pipeline sets the digest at deploy time.
 *
 * @public
 */
export function createKubernetesOverlaysAction() {
  return createTemplateAction({
    id: 'delivery:kubernetes:overlays',
    description:
      'Writes kustomize overlays for each environment of the ladder (namespace, image by digest, replicas, disruption budget) and for preview namespaces, on top of an existing base.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .regex(DNS_LABEL, {
              message:
                'must be a Kubernetes object name: lowercase letters, digits and "-", at most 63',
            })
            .describe(
              'Name of the Deployment in the base (the component name)',
            ),
        kubernetesId: z =>
          z
            .string()
            .max(63)
            .regex(LABEL_VALUE, { message: 'must be a Kubernetes label value' })
            .describe(
              'Value of the backstage.io/kubernetes-id label of its pods',
            ),
        image: z =>
          z
            .string()
            .regex(IMAGE_REPOSITORY, {
              message:
                'must be an image repository without tag or digest, e.g. ghcr.io/acme/orders',
            })
            .describe('Image repository the pipeline pushes to'),
        imageName: z =>
          z
            .string()
            .optional()
            .describe(
              'Image name used in the base, which the overlays replace; default app',
            ),
        environments: z =>
          z
            .array(
              z
                .object({
                  name: z.string().regex(LADDER_NAME),
                  namespace: z.string().regex(DNS_LABEL),
                  cluster: z.string().optional(),
                })
                // The rest of delivery:ladder:resolve's output is welcome.
                .passthrough(),
            )
            .min(1)
            .describe(
              'The ladder in order, as delivery:ladder:resolve outputs it',
            ),
        replicas: z =>
          z
            .record(z.string(), z.number().int().min(1).max(100))
            .optional()
            .describe(
              'Replicas per environment; default 2 in the last environment, 1 elsewhere',
            ),
        preview: z =>
          z
            .boolean()
            .optional()
            .describe(
              'Also write overlays/preview, whose namespace the pull-request pipeline sets; default true',
            ),
        targetPath: z =>
          z
            .string()
            .optional()
            .describe(
              'Folder of the workspace that holds base/ and overlays/; default deploy',
            ),
      },
      output: {
        overlays: z =>
          z
            .array(
              z.object({
                environment: z.string(),
                path: z.string(),
                namespace: z.string().optional(),
              }),
            )
            .describe('The overlays written, relative to the workspace'),
      },
    },
    async handler(ctx) {
      const input = ctx.input;
      const root = resolveSafeChildPath(
        ctx.workspacePath,
        input.targetPath ?? 'deploy',
      );
      if (!existsSync(join(root, 'base', 'kustomization.yaml'))) {
        throw new Error(
          `No kustomize base at ${relative(
            ctx.workspacePath,
            join(root, 'base'),
          )}/kustomization.yaml; fetch the skeleton (fetch:template) before this step`,
        );
      }
      const unknown = Object.keys(input.replicas ?? {}).filter(
        env => !input.environments.some(e => e.name === env),
      );
      if (unknown.length) {
        throw new Error(
          `replicas names ${unknown.join(
            ', ',
          )}, which the ladder does not have (${input.environments
            .map(e => e.name)
            .join(', ')})`,
        );
      }
      const last = input.environments.length - 1;
      const overlays: Overlay[] = input.environments.map((env, index) => {
        const replicas = input.replicas?.[env.name] ?? (index === last ? 2 : 1);
        return {
          environment: env.name,
          namespace: env.namespace,
          cluster: env.cluster,
          replicas,
          pdb: replicas > 1,
        };
      });
      if (input.preview ?? true) {
        overlays.push({ environment: 'preview', replicas: 1, pdb: false });
      }

      const written = [];
      for (const overlay of overlays) {
        const dir = join(root, 'overlays', overlay.environment);
        await mkdir(dir, { recursive: true });
        await writeFile(
          join(dir, 'kustomization.yaml'),
          kustomization(overlay, input),
        );
        if (overlay.pdb) {
          await writeFile(
            join(dir, 'pdb.yaml'),
            yaml.stringify({
              apiVersion: 'policy/v1',
              kind: 'PodDisruptionBudget',
              metadata: {
                name: input.name,
                labels: { [KUBERNETES_ID_ANNOTATION]: input.kubernetesId },
              },
              spec: {
                minAvailable: 1,
                selector: {
                  matchLabels: {
                    [KUBERNETES_ID_ANNOTATION]: input.kubernetesId,
                  },
                },
              },
            }),
          );
        }
        const path = relative(ctx.workspacePath, dir);
        written.push({
          environment: overlay.environment,
          path,
          ...(overlay.namespace ? { namespace: overlay.namespace } : {}),
        });
        ctx.logger.info(
          `Wrote ${path}: ${
            overlay.namespace
              ? `namespace ${overlay.namespace}`
              : 'namespace set by the pull-request pipeline'
          }, ${overlay.replicas} replica(s)${
            overlay.cluster
              ? `; the portal reads its live state from cluster ${overlay.cluster}`
              : ''
          }`,
        );
      }
      ctx.output('overlays', written);
    },
  });
}

function kustomization(
  overlay: Overlay,
  input: { name: string; image: string; imageName?: string },
): string {
  const doc = new yaml.Document({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    ...(overlay.namespace ? { namespace: overlay.namespace } : {}),
    resources: ['../../base', ...(overlay.pdb ? ['pdb.yaml'] : [])],
    labels: [
      {
        pairs: { [ENVIRONMENT_LABEL]: overlay.environment },
        includeTemplates: true,
      },
    ],
    images: [
      {
        name: input.imageName ?? 'app',
        newName: input.image,
        digest: UNBUILT_DIGEST,
      },
    ],
    replicas: [{ name: input.name, count: overlay.replicas }],
  });
  doc.commentBefore = [
    ` The ${overlay.environment} overlay: kubectl apply -k deploy/overlays/${overlay.environment}`,
    ' The pipeline sets the image digest on every deploy:',
    `   kustomize edit set image ${input.imageName ?? 'app'}=${
      input.image
    }@sha256:<digest>`,
    ...(overlay.namespace
      ? []
      : [
          ' and the namespace of the pull request preview:',
          '   kustomize edit set namespace <namespace>',
        ]),
  ].join('\n');
  return doc.toString();
}
