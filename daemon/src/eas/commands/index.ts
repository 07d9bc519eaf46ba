import * as folderSync from './folder-sync';
import * as options from './options';
import * as ping from './ping';
import * as provision from './provision';
import * as settings from './settings';
import * as sync from './sync';

/**
 * The command registry, as imapflow's `imap-commands.js`: one module per command, each a `run`
 * taking a narrow connection and its parameters. {@link EasClient} looks commands up here.
 */
export const COMMANDS = {
  OPTIONS: options.run,
  Provision: provision.run,
  Settings: settings.run,
  FolderSync: folderSync.run,
  Sync: sync.run,
  Ping: ping.run,
} as const;

export type CommandName = keyof typeof COMMANDS;
export type CommandParams<K extends CommandName> = Parameters<(typeof COMMANDS)[K]>[1];
export type CommandResult<K extends CommandName> = Awaited<ReturnType<(typeof COMMANDS)[K]>>;
