/** The in-workload launcher (`cloister run`): attest the coordinator, activate, write files, run the program. */
export { LAUNCH_CODES, type LaunchCode } from './codes.js';
export { LaunchError } from './errors.js';
export { resolveLaunchConfig, LAUNCH_ENV, TEE_CHOICES, type LaunchConfig, type LaunchFlags, type TeeChoice } from './config.js';
export { resolveCommand, type ResolvedCommand } from './command.js';
export { chooseProvider, type ChosenProvider } from './provider.js';
export { writeWorkloadFiles, writeOwnerOnlyFile, FILE_MODE, DIR_MODE } from './files.js';
export { runChild, exitCodeOf, signalExitCode, FORWARDED_SIGNALS, type ChildOptions, type ForwardedSignal, type SignalSource } from './child.js';
export { startRenewal, renewalDelayMs, RENEW_AT_FRACTION, type RenewalHandle, type RenewalOptions } from './renewal.js';
export { launch, prepareLaunch, launchExitCode, LAUNCH_EXIT, type LaunchDeps, type PreparedLaunch } from './launch.js';
