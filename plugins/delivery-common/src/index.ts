/**
 * Types, constants, permissions and helpers shared by the Delivery for
 * Backstage plugins.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './constants';
export * from './metrics';
export * from './permissions';
export * from './types';
