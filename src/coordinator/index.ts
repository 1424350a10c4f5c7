/** The coordinator layer's public API. */
export { startCoordinator, defaultStateDir, type StartOptions, type RunningCoordinator } from './main.js';
export { createCoordinator, type Coordinator, type CoordinatorDeps, type CoordinatorState } from './coordinator.js';
export { COORDINATOR_CODES, CoordinatorError, type CoordinatorCode } from './codes.js';
