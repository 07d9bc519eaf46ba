import type { TidingsBridge } from '../ipc-contract';

// The preload's bridge, declared once for every page (Fiddle's src/ambient.d.ts).
declare global {
  interface Window {
    readonly tidings: TidingsBridge;
  }
}
