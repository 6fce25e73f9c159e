import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();

backend.add(import('@backstage/plugin-app-backend'));

// Sign-in: guest for local use; configure a real provider for production
// (https://backstage.io/docs/auth/).
backend.add(import('@backstage/plugin-auth-backend'));
backend.add(import('@backstage/plugin-auth-backend-module-guest-provider'));

backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(
  import('@backstage/plugin-catalog-backend-module-scaffolder-entity-model'),
);
backend.add(import('@backstage/plugin-catalog-backend-module-logs'));

// The delivery permission policy instead of allow-all: owners deliver their
// components, the platform group overrides, CI does what its access
// restrictions allow (delivery.permissionPolicy in app-config.yaml).
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import(
    '@backstage-delivery/plugin-delivery-backend-module-permission-policy'
  ),
);

backend.add(import('@backstage/plugin-scaffolder-backend'));
backend.add(import('@backstage/plugin-scaffolder-backend-module-github'));
backend.add(
  import('@backstage/plugin-scaffolder-backend-module-notifications'),
);
backend.add(
  import('@backstage-delivery/plugin-scaffolder-backend-module-delivery'),
);

// Search: PostgreSQL full-text search when the database is PostgreSQL,
// otherwise the built-in Lunr engine.
backend.add(import('@backstage/plugin-search-backend'));
backend.add(import('@backstage/plugin-search-backend-module-pg'));
backend.add(import('@backstage/plugin-search-backend-module-catalog'));

backend.add(import('@backstage/plugin-kubernetes-backend'));

// Events fan out catalog and signal updates across backend replicas.
backend.add(import('@backstage/plugin-events-backend'));

backend.add(import('@backstage/plugin-user-settings-backend'));
backend.add(import('@backstage/plugin-notifications-backend'));
backend.add(import('@backstage/plugin-signals-backend'));

backend.add(import('@backstage-delivery/plugin-delivery-backend'));

backend.start();
