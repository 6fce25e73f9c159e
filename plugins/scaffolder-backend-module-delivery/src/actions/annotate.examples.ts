import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description: 'Annotate a new service for the default ladder',
    example: yaml.stringify({
      steps: [
        {
          id: 'delivery',
          action: 'delivery:component:annotate',
          name: 'Delivery annotations',
          input: { name: '${{ parameters.name }}' },
        },
      ],
    }),
  },
  {
    description:
      'Annotate a new service for a named ladder, with its own Kubernetes id',
    example: yaml.stringify({
      steps: [
        {
          id: 'delivery',
          action: 'delivery:component:annotate',
          name: 'Delivery annotations',
          input: {
            name: '${{ parameters.name }}',
            kubernetesId: 'payments',
            ladder: 'regulated',
          },
        },
      ],
    }),
  },
];
