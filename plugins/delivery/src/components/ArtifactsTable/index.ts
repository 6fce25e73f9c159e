export { ArtifactsTable } from './ArtifactsTable';
