/*
 * One portal replica for `make bench` (plugins/delivery-backend/src/bench/portal.ts
 * starts two): the production backend's plugins on the paths the benchmark
 * measures — the catalog, the permission framework with the delivery policy,
 * events and the delivery plugin — without the ones that would only add
 * background load (search indexing, scaffolder, Kubernetes, notifications).
 * Configuration comes from the --config files the benchmark writes.
 */
import { createBackend } from '@backstage/backend-defaults';

const backend = createBackend();
backend.add(import('@backstage/plugin-catalog-backend'));
backend.add(import('@backstage/plugin-permission-backend'));
backend.add(
  import(
    '@backstage-delivery/plugin-delivery-backend-module-permission-policy'
  ),
);
backend.add(import('@backstage/plugin-events-backend'));
backend.add(import('@backstage-delivery/plugin-delivery-backend'));
backend.start();
