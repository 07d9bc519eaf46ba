/**
 * @tidings/daemon's public surface: start a daemon, talk to one. The tray imports the client
 * and the protocol from here (or `@tidings/daemon/ipc/client`).
 */
export { type DaemonOptions, type RunningDaemon, startDaemon, type WatcherFactory } from './daemon';
export { connect, IpcClient, type IpcClientOptions } from './ipc/client';
export { IpcError, type IpcErrorCodeName } from './ipc/errors';
export { defaultIpcPath } from './ipc/paths';
export * from './ipc/protocol';
export { ConfigError, type ConfigErrorCode } from './config/errors';
export { loadConfig, parseConfig } from './config/load';
export { configDir, resolveConfigPath, stateDir } from './config/paths';
export { type Config, configSchema } from './config/schema';
export { createLogger } from './log';
export type { ChangeSignal, ItemSummary } from './signal';
export { VERSION } from './version';
