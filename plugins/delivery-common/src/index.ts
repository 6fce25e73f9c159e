/**
 * Types, constants and helpers shared by the Delivery for Backstage plugins.
 *
 * @packageDocumentation
 */

export * from './annotations';
export * from './types';
