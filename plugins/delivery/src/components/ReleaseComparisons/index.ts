export {
  ComponentReleaseComparisons,
  WorseReleases,
} from './ReleaseComparisons';
