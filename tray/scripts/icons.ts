import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ICON_STATES, type IconState } from '../src/main/tray-model';
import { encodePng } from './png';

/**
 * Draws the tray and app icons into build/: a bell, with a badge per state, rendered from
 * shape tests with 4×4 supersampling. Committed with its output so icons can be regenerated
 * (`npm run icons -w tray`) rather than hand-edited.
 *
 * Variants, as trayModel() names them:
 * - tray-<state>-light.png / -dark.png (+ @2x): for light / dark panels (Linux, Windows);
 * - tray-<state>Template.png (+ @2x): black + alpha only, which macOS recolours for the menu bar.
 */

type Color = readonly [number, number, number, number];
/** A shape is a point test in unit coordinates (0..1, y down). */
type Shape = (x: number, y: number) => boolean;
interface Layer {
  shape: Shape;
  /** Paint this colour, or 'clear' to cut a hole (badges stay legible on any panel). */
  paint: Color | 'clear';
}

const circle =
  (cx: number, cy: number, r: number): Shape =>
  (x, y) =>
    (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const rect =
  (x0: number, y0: number, x1: number, y1: number): Shape =>
  (x, y) =>
    x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union =
  (...shapes: Shape[]): Shape =>
  (x, y) =>
    shapes.some((s) => s(x, y));

/** The bell: a dome, a skirt widening to a rim, a knob and a clapper. */
const bell: Shape = union(
  circle(0.5, 0.44, 0.27),
  (x, y) => y >= 0.44 && y <= 0.74 && Math.abs(x - 0.5) <= 0.27 + (y - 0.44) * 0.3,
  rect(0.14, 0.72, 0.86, 0.8),
  circle(0.5, 0.15, 0.06),
  circle(0.5, 0.87, 0.085),
);

/** A thick diagonal from top-left to bottom-right: "muted". */
const slash =
  (width: number): Shape =>
  (x, y) =>
    Math.abs(x - y) / Math.SQRT2 <= width && x > 0.14 && x < 0.86;

const BADGE = circle(0.76, 0.26, 0.22);
const BADGE_RING = circle(0.76, 0.26, 0.3);
const EXCLAMATION = union(rect(0.735, 0.1, 0.785, 0.3), circle(0.76, 0.38, 0.035));

function layers(
  state: IconState,
  glyph: Color,
  accents: { fresh: Color; alarm: Color } | 'template',
): Layer[] {
  const fresh = accents === 'template' ? glyph : accents.fresh;
  const alarm = accents === 'template' ? glyph : accents.alarm;
  const base: Layer[] = [{ shape: bell, paint: glyph }];
  switch (state) {
    case 'quiet':
      return base;
    case 'new':
      return [...base, { shape: BADGE_RING, paint: 'clear' }, { shape: BADGE, paint: fresh }];
    case 'attention':
      return [
        ...base,
        { shape: BADGE_RING, paint: 'clear' },
        { shape: BADGE, paint: alarm },
        { shape: EXCLAMATION, paint: accents === 'template' ? 'clear' : [255, 255, 255, 255] },
      ];
    case 'paused':
      return [
        { shape: bell, paint: [glyph[0], glyph[1], glyph[2], Math.round(glyph[3] * 0.55)] },
        { shape: slash(0.1), paint: 'clear' },
        { shape: slash(0.05), paint: glyph },
      ];
  }
}

/** Renders layers at `size` px with 4×4 samples per pixel, compositing in premultiplied alpha. */
export function render(
  size: number,
  stack: Layer[],
  background?: { shape: Shape; color: (y: number) => Color },
): Uint8Array {
  const n = 4;
  const out = new Uint8Array(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0;
      let g = 0;
      let b = 0;
      let a = 0;
      for (let sy = 0; sy < n; sy++) {
        for (let sx = 0; sx < n; sx++) {
          const x = (px + (sx + 0.5) / n) / size;
          const y = (py + (sy + 0.5) / n) / size;
          let cr = 0;
          let cg = 0;
          let cb = 0;
          let ca = 0;
          const paint = (c: Color) => {
            const al = c[3] / 255;
            cr = c[0] * al + cr * (1 - al);
            cg = c[1] * al + cg * (1 - al);
            cb = c[2] * al + cb * (1 - al);
            ca = al + ca * (1 - al);
          };
          if (background?.shape(x, y)) paint(background.color(y));
          for (const l of stack) {
            if (!l.shape(x, y)) continue;
            if (l.paint === 'clear') cr = cg = cb = ca = 0;
            else paint(l.paint);
          }
          r += cr;
          g += cg;
          b += cb;
          a += ca;
        }
      }
      const o = (py * size + px) * 4;
      const samples = n * n;
      out[o + 3] = Math.round((a / samples) * 255);
      // Un-premultiply for PNG's straight alpha.
      out[o] = a > 0 ? Math.round(r / a) : 0;
      out[o + 1] = a > 0 ? Math.round(g / a) : 0;
      out[o + 2] = a > 0 ? Math.round(b / a) : 0;
    }
  }
  return out;
}

const DARK_GLYPH: Color = [38, 42, 48, 255];
const LIGHT_GLYPH: Color = [242, 244, 247, 255];
const ACCENTS = { fresh: [47, 128, 237, 255] as Color, alarm: [229, 72, 77, 255] as Color };

/** Every file the generator writes, relative to build/, with its pixels. */
export function iconFiles(): { file: string; size: number; pixels: Uint8Array }[] {
  const files: { file: string; size: number; pixels: Uint8Array }[] = [];
  for (const state of ICON_STATES) {
    for (const [size, suffix] of [
      [16, ''],
      [32, '@2x'],
    ] as const) {
      // "-light" is for a light panel (dark glyph); "-dark" for a dark panel (light glyph).
      files.push({
        file: `icons/tray-${state}-light${suffix}.png`,
        size,
        pixels: render(size, layers(state, DARK_GLYPH, ACCENTS)),
      });
      files.push({
        file: `icons/tray-${state}-dark${suffix}.png`,
        size,
        pixels: render(size, layers(state, LIGHT_GLYPH, ACCENTS)),
      });
      files.push({
        file: `icons/tray-${state}Template${suffix}.png`,
        size,
        pixels: render(size, layers(state, [0, 0, 0, 255], 'template')),
      });
    }
  }
  // The app icon: a white bell on a blue rounded square (electron-builder derives .icns/.ico from it).
  const rounded: Shape = (x, y) => {
    const r = 0.2;
    const dx = Math.max(0.06 + r - x, 0, x - (0.94 - r));
    const dy = Math.max(0.06 + r - y, 0, y - (0.94 - r));
    return dx * dx + dy * dy <= r * r;
  };
  const inner: Shape = (x, y) => bell((x - 0.2) / 0.6, (y - 0.19) / 0.6);
  files.push({
    file: 'icon.png',
    size: 512,
    pixels: render(512, [{ shape: inner, paint: [255, 255, 255, 255] }], {
      shape: rounded,
      color: (y) => [Math.round(40 + 30 * y), Math.round(110 - 40 * y), Math.round(230 - 50 * y), 255],
    }),
  });
  return files;
}

/** Writes every icon under `buildDir` (default: the repository's build/). */
export async function writeIcons(buildDir: string): Promise<string[]> {
  const written: string[] = [];
  for (const { file, size, pixels } of iconFiles()) {
    const path = join(buildDir, file);
    await mkdir(dirname(path), { recursive: true });
    await writeFile(path, encodePng({ width: size, height: size, data: pixels }));
    written.push(path);
  }
  return written;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const buildDir = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'build');
  const written = await writeIcons(buildDir);
  console.log(`wrote ${written.length} icons under ${buildDir}`);
}
