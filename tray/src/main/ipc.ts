import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron';
import {
  READY_CHANNEL,
  TRAY_EVENTS,
  type TrayEventName,
  type TrayEventPayloads,
  type TrayInvokeChannel,
} from '../ipc-contract';
import type { TrayHandlers } from './handlers';
import { ReadyQueue } from './ready-queue';

/**
 * Registers the settings window's handlers and pushes events to pages. Calls from any frame
 * other than our own settings page are refused (Electron security checklist §17, "validate
 * the sender of all IPC messages"); pushes wait until the page says it listens.
 */
export class TrayIpc {
  readonly #isOwnPage: (url: string) => boolean;
  readonly #queue = new ReadyQueue<WebContents, TrayEventName>();

  constructor(isOwnPage: (url: string) => boolean) {
    this.#isOwnPage = isOwnPage;
    ipcMain.removeAllListeners(READY_CHANNEL);
    ipcMain.on(READY_CHANNEL, (event) => {
      if (!event.senderFrame || !this.#isOwnPage(event.senderFrame.url)) return;
      const target = event.sender;
      this.#queue.ready(target, (name, payload) => this.#deliver(target, name, payload));
    });
  }

  /** Registers every handler; one per channel, replacing any previous one. */
  register(handlers: TrayHandlers): void {
    for (const channel of Object.keys(handlers) as TrayInvokeChannel[]) {
      const handler = handlers[channel] as (...args: unknown[]) => Promise<unknown>;
      ipcMain.removeHandler(channel);
      ipcMain.handle(channel, (event: IpcMainInvokeEvent, ...args: unknown[]) => {
        if (!event.senderFrame || !this.#isOwnPage(event.senderFrame.url)) {
          throw new Error(`refused ${channel} from a frame that is not the settings page`);
        }
        return handler(...args);
      });
    }
  }

  /** Sends an event now if the page listens, else keeps the latest for when it does. */
  send<E extends TrayEventName>(target: WebContents, name: E, payload: TrayEventPayloads[E]): void {
    if (target.isDestroyed()) return;
    this.#queue.push(target, name, payload, (n, p) => this.#deliver(target, n, p));
  }

  #deliver(target: WebContents, name: TrayEventName, payload: unknown): void {
    if (!target.isDestroyed()) target.send(TRAY_EVENTS[name], payload);
  }
}
