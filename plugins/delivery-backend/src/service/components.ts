import { Entity } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { EntityLookup } from '../catalog/catalog';
import type { LadderConfig } from '../config/types';
import { LadderStep, Ladders, ladderOf, stepOf } from '../domain/ladder';
import { parseComponentRef } from '../domain/refs';
import { UnprocessableEntityError } from './errors';

/** The canonical ref of a component, e.g. `component:default/payments-api` (400 otherwise). */
export function componentRef(input: string): string {
  const parsed = parseComponentRef(input);
  if (!parsed.ok) throw new InputError(parsed.problem);
  return parsed.ref;
}

/**
 * A component's catalog entity and ladder, with the errors a caller can act
 * on: 422 for a component that is not in the catalog or names an unknown
 * ladder, 400 for an environment that is not on its ladder.
 */
export class ComponentResolver {
  constructor(
    private readonly catalog: EntityLookup,
    private readonly ladders: Ladders,
  ) {}

  async entity(
    ref: string,
    purpose: string = 'recording its builds',
  ): Promise<Entity> {
    const entity = await this.catalog.getEntity(ref);
    if (!entity) {
      throw new UnprocessableEntityError(
        `${ref} is not in the catalog; register the component before ${purpose}`,
      );
    }
    return entity;
  }

  ladder(entity: Entity, ref: string): LadderConfig {
    const result = ladderOf(this.ladders, entity, ref);
    if (!result.ok) throw new UnprocessableEntityError(result.problem);
    return result.ladder;
  }

  async resolve(
    ref: string,
  ): Promise<{ entity: Entity; ladder: LadderConfig }> {
    const entity = await this.entity(ref);
    return { entity, ladder: this.ladder(entity, ref) };
  }

  step(ladder: LadderConfig, environment: string, ref: string): LadderStep {
    const result = stepOf(ladder, environment, ref);
    if (!result.ok) throw new InputError(result.problem);
    return result.step;
  }
}
