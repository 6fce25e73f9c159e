import { TemplateExample } from '@backstage/plugin-scaffolder-node';
import yaml from 'yaml';

export const examples: TemplateExample[] = [
  {
    description:
      'Write an overlay per environment of the resolved ladder, after fetching a skeleton with deploy/base',
    example: yaml.stringify({
      steps: [
        {
          id: 'ladder',
          action: 'delivery:ladder:resolve',
          input: { component: '${{ parameters.name }}' },
        },
        {
          id: 'overlays',
          action: 'delivery:kubernetes:overlays',
          name: 'Kubernetes overlays',
          input: {
            name: '${{ parameters.name }}',
            kubernetesId: '${{ parameters.name }}',
            image: 'ghcr.io/acme/${{ parameters.name }}',
            environments: '${{ steps.ladder.output.environments }}',
          },
        },
      ],
    }),
  },
  {
    description:
      'Fixed environments, three replicas in production, no preview overlay',
    example: yaml.stringify({
      steps: [
        {
          id: 'overlays',
          action: 'delivery:kubernetes:overlays',
          input: {
            name: 'orders',
            kubernetesId: 'orders',
            image: 'ghcr.io/acme/orders',
            environments: [
              { name: 'dev', namespace: 'orders-dev' },
              { name: 'production', namespace: 'orders-production' },
            ],
            replicas: { production: 3 },
            preview: false,
            targetPath: 'k8s',
          },
        },
      ],
    }),
  },
];
