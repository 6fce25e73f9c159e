import type { Entity } from '@backstage/catalog-model';
import {
  DELIVERY_LADDER_ANNOTATION,
  getDeliverySettings,
} from '@backstage-delivery/plugin-delivery-common';
import type { EnvironmentConfig, LadderConfig } from '../config/types';

/** The ladders a portal knows, and the one components follow by default. */
export interface Ladders {
  defaultLadder: string;
  ladders: Map<string, LadderConfig>;
}

/** The environment of a ladder that is production: its last one. */
export function productionOf(ladder: LadderConfig): EnvironmentConfig {
  return ladder.environments[ladder.environments.length - 1];
}

/** The production environment of every ladder. */
export function productionEnvironments(
  ladders: Map<string, LadderConfig>,
): Array<{ ladder: string; environment: string }> {
  return [...ladders.values()].map(ladder => ({
    ladder: ladder.name,
    environment: productionOf(ladder).name,
  }));
}

/**
 * Whether an environment is production-like: the last environment of some
 * ladder. Changes to it are audited at a higher severity.
 */
export function isProductionLike(
  ladders: Map<string, LadderConfig>,
  environment: string,
): boolean {
  return [...ladders.values()].some(l => productionOf(l).name === environment);
}

/** Environment names in ladder order: the first ladder that names each. */
export function environmentOrder(ladders: Map<string, LadderConfig>): string[] {
  return [
    ...new Set(
      [...ladders.values()].flatMap(l => l.environments.map(e => e.name)),
    ),
  ];
}

/**
 * The ladder a component follows, from its annotation, or why it cannot
 * follow one.
 */
export function ladderOf(
  config: Ladders,
  entity: Entity,
  componentRef: string,
): { ok: true; ladder: LadderConfig } | { ok: false; problem: string } {
  const name = getDeliverySettings(entity).ladder ?? config.defaultLadder;
  const ladder = config.ladders.get(name);
  if (ladder) return { ok: true, ladder };
  return {
    ok: false,
    problem: `${componentRef} asks for the ladder '${name}' (annotation ${DELIVERY_LADDER_ANNOTATION}), which is not configured; configured ladders: ${[
      ...config.ladders.keys(),
    ].join(', ')}`,
  };
}

/** An environment of a ladder, with the one before it. */
export interface LadderStep {
  env: EnvironmentConfig;
  previous?: EnvironmentConfig;
  index: number;
}

/** An environment of a ladder by name, or why it is not on the ladder. */
export function stepOf(
  ladder: LadderConfig,
  environment: string,
  componentRef: string,
): { ok: true; step: LadderStep } | { ok: false; problem: string } {
  const index = ladder.environments.findIndex(e => e.name === environment);
  if (index < 0) {
    return {
      ok: false,
      problem: `environment '${environment}' is not on the ${
        ladder.name
      } ladder of ${componentRef}; use one of ${ladder.environments
        .map(e => e.name)
        .join(', ')}`,
    };
  }
  return {
    ok: true,
    step: {
      env: ladder.environments[index],
      previous: index > 0 ? ladder.environments[index - 1] : undefined,
      index,
    },
  };
}

/** The environment a promotion targets, as configured now. */
export function environmentOfPromotion(
  ladders: Map<string, LadderConfig>,
  promotion: { ladder: string; environment: string },
): EnvironmentConfig | undefined {
  return ladders
    .get(promotion.ladder)
    ?.environments.find(e => e.name === promotion.environment);
}
