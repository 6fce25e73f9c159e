import { AuthService, DiscoveryService } from '@backstage/backend-plugin-api';
import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import { createTemplateAction } from '@backstage/plugin-scaffolder-node';
import {
  DeliveryApiSchemas,
  resolveNamespace,
} from '@backstage-delivery/plugin-delivery-common';
import { examples } from './ladder.examples';
import { DNS_LABEL, LADDER_NAME } from './validation';

type Ladder = DeliveryApiSchemas['Ladder'];

/** The namespace pattern the delivery backend uses when none is configured. */
const DEFAULT_NAMESPACE_PATTERN = '{component}-{environment}';

/** An environment of the chosen ladder, as the new component will meet it. */
export interface ResolvedEnvironment {
  name: string;
  title: string;
  /** The cluster the portal reads live state from, if the environment names one. */
  cluster?: string;
  /** The component's namespace in this environment. */
  namespace: string;
  requiredEvidence: string[];
  approvals: number;
}

/**
 * `delivery:ladder:resolve` — asks the delivery backend for the environment
 * ladder a new component will follow (the named one, or the portal's default),
 * refusing a ladder the portal does not have, and resolves the component's
 * namespace in every environment. Later steps use the output to write the
 * Kubernetes overlays and the pipeline.
 *
 * @public
 */
export function createResolveLadderAction(options: {
  discovery: DiscoveryService;
  auth: AuthService;
}) {
  const { discovery, auth } = options;

  async function fetchLadders(): Promise<{
    defaultLadder: string;
    items: Ladder[];
  }> {
    const baseUrl = await discovery.getBaseUrl('delivery');
    const { token } = await auth.getPluginRequestToken({
      onBehalfOf: await auth.getOwnServiceCredentials(),
      targetPluginId: 'delivery',
    });
    let response: Response;
    try {
      response = await fetch(`${baseUrl}/ladders`, {
        headers: { authorization: `Bearer ${token}` },
        signal: AbortSignal.timeout(15_000),
      });
    } catch (error) {
      throw new Error(
        `Could not reach the delivery backend at ${baseUrl} to read the ladders: ${
          (error as Error).message
        }. Is the delivery backend plugin installed?`,
      );
    }
    if (!response.ok) {
      throw new Error(
        `The delivery backend answered ${response.status} ${
          response.statusText
        } to GET ${baseUrl}/ladders: ${await response.text()}`,
      );
    }
    // Parsed here rather than with response.json(): the template engine only
    // accepts plain arrays of this realm, which fetch's own parser does not
    // produce under test sandboxes.
    return JSON.parse(await response.text());
  }

  return createTemplateAction({
    id: 'delivery:ladder:resolve',
    description:
      "Reads the environment ladder a new component will follow from the delivery backend (the named ladder or the portal's default) and resolves the component's namespace in each environment.",
    examples,
    supportsDryRun: true,
    schema: {
      input: {
        component: z =>
          z
            .string()
            .min(1)
            .describe(
              'The new component: its name, or an entity reference such as component:payments/ledger',
            ),
        ladder: z =>
          z
            .string()
            .max(63)
            .regex(LADDER_NAME, {
              message:
                'must be a ladder name: lowercase letters, digits and "-", starting and ending with a letter or digit',
            })
            .or(z.literal(''))
            .optional()
            .describe(
              "Ladder to follow (a key of delivery.ladders); empty or absent for the portal's default",
            ),
      },
      output: {
        componentRef: z =>
          z.string().describe('The component, as a full entity reference'),
        name: z => z.string().describe('The component name'),
        ladder: z =>
          z.string().describe('Name of the ladder the component follows'),
        ladderTitle: z => z.string().describe('Title of that ladder'),
        environments: z =>
          z
            .array(
              z.object({
                name: z.string(),
                title: z.string(),
                cluster: z.string().optional(),
                namespace: z.string(),
                requiredEvidence: z.array(z.string()),
                approvals: z.number(),
              }),
            )
            .describe(
              'The environments in order, with the component namespace in each',
            ),
        kubernetes: z =>
          z
            .boolean()
            .describe(
              'Whether any environment names a cluster the portal reads live state from',
            ),
      },
    },
    async handler(ctx) {
      const componentRef = stringifyEntityRef(
        parseEntityRef(ctx.input.component.trim(), {
          defaultKind: 'component',
          defaultNamespace: 'default',
        }),
      );
      const { defaultLadder, items } = await fetchLadders();
      const wanted = ctx.input.ladder || defaultLadder;
      const ladder = items.find(l => l.name === wanted);
      if (!ladder) {
        throw new Error(
          `The portal has no ladder "${wanted}"; choose one of ${items
            .map(l => `"${l.name}"`)
            .join(', ')} (delivery.ladders in the app config)`,
        );
      }
      const environments: ResolvedEnvironment[] = ladder.environments.map(
        env => {
          const namespace = resolveNamespace(
            env.namespace ?? DEFAULT_NAMESPACE_PATTERN,
            componentRef,
            env.name,
          );
          if (!DNS_LABEL.test(namespace)) {
            throw new Error(
              `The namespace of ${componentRef} in ${env.name} would be "${namespace}", which is not a valid Kubernetes namespace name (lowercase letters, digits and "-", at most 63); choose a shorter or lowercase component name`,
            );
          }
          return {
            name: env.name,
            title: env.title,
            ...(env.cluster ? { cluster: env.cluster } : {}),
            namespace,
            requiredEvidence: env.requiredEvidence,
            approvals: env.approvals.count,
          };
        },
      );
      ctx.logger.info(
        `${componentRef} follows the ${ladder.name} ladder: ${environments
          .map(e => `${e.name} (namespace ${e.namespace})`)
          .join(' → ')}`,
      );
      ctx.output('componentRef', componentRef);
      ctx.output('name', parseEntityRef(componentRef).name);
      ctx.output('ladder', ladder.name);
      ctx.output('ladderTitle', ladder.title);
      ctx.output('environments', environments);
      ctx.output(
        'kubernetes',
        environments.some(e => e.cluster),
      );
    },
  });
}
