/**
 * Headless Chromium for the report pages' tests (Debian's `chromium`, installed by
 * scripts/install.sh; CHROMIUM names another binary): a screenshot, the text of the rendered
 * DOM, and a check that a PNG is not blank (decoded here: 8-bit RGB or RGBA, as Chromium writes).
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inflateSync } from 'node:zlib';

export function chromiumBinary(): string {
  for (const bin of [process.env.CHROMIUM, 'chromium', 'chromium-browser'].filter((b): b is string => !!b)) {
    if (spawnSync(bin, ['--version'], { encoding: 'utf8' }).status === 0) return bin;
  }
  throw new Error("no chromium binary (scripts/install.sh installs Debian's chromium; CHROMIUM names another)");
}

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--no-first-run', '--disable-extensions'];

/** Renders the page and writes a PNG of its first `height` pixels. */
export function screenshot(bin: string, htmlFile: string, pngFile: string, width = 1000, height = 1400): void {
  const res = spawnSync(bin, [...FLAGS, `--window-size=${width},${height}`, `--screenshot=${pngFile}`, pathToFileURL(htmlFile).href], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (res.status !== 0) throw new Error(`chromium --screenshot exited ${res.status}: ${res.stderr.slice(-2000)}`);
}

/** The visible text of the page after Chromium rendered it (its serialised DOM, tags and styles removed). */
export function renderedText(bin: string, htmlFile: string): string {
  const res = spawnSync(bin, [...FLAGS, '--dump-dom', pathToFileURL(htmlFile).href], { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 });
  if (res.status !== 0) throw new Error(`chromium --dump-dom exited ${res.status}: ${res.stderr.slice(-2000)}`);
  return res.stdout
    .replace(/<style[\s\S]*?<\/style>/g, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/&amp;/g, '&')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&#39;/g, "'")
    .replace(/&quot;/g, '"')
    .replace(/\s+/g, ' ');
}

/** Pixels of a PNG (8-bit RGB/RGBA, not interlaced), as [r, g, b] per pixel. */
export function decodePng(file: string): { width: number; height: number; pixel: (x: number, y: number) => [number, number, number] } {
  const buf = readFileSync(file);
  let pos = 8;
  let width = 0;
  let height = 0;
  let channels = 0;
  const idat: Buffer[] = [];
  while (pos < buf.length) {
    const len = buf.readUInt32BE(pos);
    const type = buf.toString('ascii', pos + 4, pos + 8);
    const data = buf.subarray(pos + 8, pos + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[12] !== 0 || (data[9] !== 2 && data[9] !== 6))
        throw new Error(`unsupported PNG: depth ${data[8]}, colour type ${data[9]}, interlace ${data[12]}`);
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === 'IDAT') idat.push(data);
    pos += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const out = Buffer.alloc(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i];
      const a = i >= channels ? out[y * stride + i - channels] : 0;
      const b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? out[(y - 1) * stride + i - channels] : 0;
      let v = x;
      if (filter === 1) v = x + a;
      else if (filter === 2) v = x + b;
      else if (filter === 3) v = x + ((a + b) >> 1);
      else if (filter === 4) {
        const p = a + b - c;
        const pa = Math.abs(p - a);
        const pb = Math.abs(p - b);
        const pc = Math.abs(p - c);
        v = x + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
      }
      out[y * stride + i] = v & 0xff;
    }
  }
  return { width, height, pixel: (x, y) => [out[y * stride + x * channels], out[y * stride + x * channels + 1], out[y * stride + x * channels + 2]] };
}

/** Share of pixels unlike the page background (the top-left pixel's colour is the header's; the background is sampled at the bottom-left), and the number of distinct colours. */
export function inkStats(file: string): { inked: number; colours: number; width: number; height: number } {
  const png = decodePng(file);
  const bg = png.pixel(2, png.height - 2).join(',');
  let inked = 0;
  const colours = new Set<string>();
  for (let y = 0; y < png.height; y += 2) {
    for (let x = 0; x < png.width; x += 2) {
      const p = png.pixel(x, y).join(',');
      if (p !== bg) inked++;
      if (colours.size < 1000) colours.add(p);
    }
  }
  return { inked: inked / (Math.ceil(png.height / 2) * Math.ceil(png.width / 2)), colours: colours.size, width: png.width, height: png.height };
}
