export { ComponentScorecard, ScorecardSummaryCard } from './Scorecard';
