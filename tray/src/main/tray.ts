import { Menu, type MenuItemConstructorOptions, nativeImage, Tray } from 'electron';
import { join } from 'node:path';
import type { MenuAction, MenuEntry, TrayModel } from './tray-model';

/**
 * The tray icon as Electron draws it. Everything it shows was decided by trayModel(); this
 * file only turns the model into a Tray, a Menu and callbacks.
 */
export class TrayView {
  readonly #tray: Tray;
  readonly #iconsDir: string;
  readonly #onAction: (action: MenuAction) => void;
  #lastIcon = '';

  constructor(iconsDir: string, initial: TrayModel, onAction: (action: MenuAction) => void) {
    this.#iconsDir = iconsDir;
    this.#onAction = onAction;
    this.#tray = new Tray(this.#image(initial.icon));
    this.#lastIcon = initial.icon;
    this.render(initial);
  }

  render(model: TrayModel): void {
    if (model.icon !== this.#lastIcon) {
      this.#tray.setImage(this.#image(model.icon));
      this.#lastIcon = model.icon;
    }
    this.#tray.setToolTip(model.tooltip);
    this.#tray.setContextMenu(Menu.buildFromTemplate(model.menu.map((e) => this.#item(e))));
  }

  destroy(): void {
    this.#tray.destroy();
  }

  #image(file: string): Electron.NativeImage {
    // createFromPath picks up the @2x sibling on HiDPI screens; "Template" names are recoloured by macOS.
    return nativeImage.createFromPath(join(this.#iconsDir, file));
  }

  #item(entry: MenuEntry): MenuItemConstructorOptions {
    if (entry.type === 'separator') return { type: 'separator' };
    const action = entry.action;
    return {
      label: entry.label,
      enabled: entry.enabled,
      ...(entry.checked === undefined ? {} : { type: 'checkbox', checked: entry.checked }),
      ...(action ? { click: () => this.#onAction(action) } : {}),
    };
  }
}
