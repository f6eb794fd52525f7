// The whole public surface of @appliedml/traffic.

// Data
export { createSeries, readingStride, selectSensors, sliceSeries, splitSeries } from './series';
export type { CreateSeriesInput, TrafficSeries } from './series';
export { readSeriesCsv, resampleToGrid } from './read-csv';
export type { ReadSeriesOptions } from './read-csv';
export { createAdjacency, normalizedAdjacency, readAdjacencyCsv, subAdjacency } from './adjacency';
export type { Adjacency, ReadAdjacencyOptions } from './adjacency';
export { LOS_LOOP, LOS_LOOP_START, loadLosLoop } from './los-loop';
export type { LoadLosLoopOptions } from './los-loop';
export { generateTrafficNetwork } from './synthetic';
export type { InjectedIncident, SyntheticNetworkOptions } from './synthetic';
export { FEATURE_COUNT, NODE_FEATURES, WEEKLY_FEATURES, featureCount, featureNames } from './features';

// Models
export { MODEL_KINDS, TrafficForecaster } from './forecaster';
export type {
  EvaluateOptions,
  Forecast,
  ForecastInput,
  TrafficEvaluation,
  TrafficForecasterConfig,
  TrafficModelKind,
  TrafficTrainingReport,
  TrafficTrainOptions,
} from './forecaster';
export type { BaselineKind } from './baselines';
export type { NeuralKind } from './models';

// Metrics and published numbers
export type { HorizonMetrics, HorizonPooling } from './horizon-metrics';
export { LOS_LOOP_PUBLISHED } from './published';
export type { PublishedRow } from './published';

// Incidents
export { IncidentMonitor } from './incident-monitor';
export type { IncidentAlert, IncidentEvent, IncidentMonitorOptions } from './incident-monitor';

// Plots
export { errorByHorizonSpec, forecastChartSpec, renderChartSvg } from './plots';
export type { ChartSpec, ForecastChartInput } from './plots';

export { PACKAGE_NAME, PACKAGE_VERSION } from './version';
