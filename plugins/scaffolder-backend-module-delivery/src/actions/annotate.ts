import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  DELIVERY_LADDER_ANNOTATION,
  KUBERNETES_ID_ANNOTATION,
} from '@backstage-delivery/plugin-delivery-common';
import { examples } from './annotate.examples';
import { LABEL_VALUE, LADDER_NAME } from './validation';

/**
 * `delivery:component:annotate` — computes the catalog annotations that put a
 * new component on the delivery golden path: the Kubernetes id its workloads
 * are labelled with, and the environment ladder it follows. Templates write the
 * output into the new component's `catalog-info.yaml`.
 *
 * @public
 */
export function createAnnotateComponentAction() {
  return createTemplateAction({
    id: 'delivery:component:annotate',
    description:
      'Computes the catalog annotations that opt a new component into delivery: its Kubernetes id and its environment ladder.',
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        name: z =>
          z
            .string()
            .min(1)
            .describe('Name of the new component (metadata.name)'),
        kubernetesId: z =>
          z
            .string()
            .max(63)
            .regex(LABEL_VALUE, {
              message:
                'must be a valid Kubernetes label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit',
            })
            .optional()
            .describe(
              'Value of the backstage.io/kubernetes-id label on its workloads; defaults to the component name',
            ),
        ladder: z =>
          z
            .string()
            .max(63)
            .regex(LADDER_NAME, {
              message:
                'must be a ladder name: lowercase letters, digits and "-", starting and ending with a letter or digit',
            })
            .optional()
            .describe(
              'Environment ladder to follow (a key of delivery.ladders); defaults to the default ladder',
            ),
      },
      output: {
        annotations: z =>
          z
            .record(z.string(), z.string())
            .describe('Annotations to add to metadata.annotations'),
      },
    },
    async handler(ctx) {
      const kubernetesId = ctx.input.kubernetesId ?? ctx.input.name;
      if (!LABEL_VALUE.test(kubernetesId) || kubernetesId.length > 63) {
        throw new Error(
          `The component name "${kubernetesId}" cannot be used as its Kubernetes id; pass kubernetesId: a Kubernetes label value of at most 63 letters, digits, "-", "_" or "."`,
        );
      }
      const annotations = {
        [KUBERNETES_ID_ANNOTATION]: kubernetesId,
        [DELIVERY_LADDER_ANNOTATION]: ctx.input.ladder ?? '',
      };
      ctx.logger.info(
        `Component ${ctx.input.name} follows the ${
          ctx.input.ladder ?? 'default'
        } ladder; its workloads carry backstage.io/kubernetes-id=${kubernetesId}`,
      );
      ctx.output('annotations', annotations);
    },
  });
}
