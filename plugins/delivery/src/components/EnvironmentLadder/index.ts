export { EnvironmentLadder } from './EnvironmentLadder';
