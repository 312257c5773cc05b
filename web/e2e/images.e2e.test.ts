// End-to-end: image files on the run page (a file series with a step slider,
// a single image inline, a file that is not an image as a download link) and
// the latest image per run on compare, uploaded through the real server.

import { deflateSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Browser, type Page } from "playwright-core";
import { openPage } from "./browser";
import { client, startStack } from "./harness.mjs";

type Stack = Awaited<ReturnType<typeof startStack>>;

let stack: Stack;
let browser: Browser;
let page: Page;
const P = "e2e/images";

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(b: Buffer): number {
  let c = 0xffffffff;
  for (const x of b) c = CRC_TABLE[(c ^ x) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A solid-colour RGB PNG of w×h pixels: the size tells the images apart in the page. */
function png(w: number, h: number, rgb: [number, number, number]): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(w, 0);
  ihdr.writeUInt32BE(h, 4);
  ihdr.set([8, 2, 0, 0, 0], 8); // 8-bit RGB
  const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: w }, () => rgb).flat())]);
  const raw = Buffer.concat(Array.from({ length: h }, () => row));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr), chunk("IDAT", deflateSync(raw)), chunk("IEND", Buffer.alloc(0))]);
}

async function upload(runId: string, path: string, body: Buffer, query: string): Promise<void> {
  const res = await fetch(`${stack.api}/api/v1/projects/${P}/runs/${runId}/files/${path}?${query}`, { method: "PUT", body: new Uint8Array(body) });
  if (!res.ok) throw new Error(`PUT ${path}?${query}: ${res.status} ${await res.text()}`);
}

/** Waits for the image in `sel` to be decoded, and returns its natural size and URL. */
async function imageAt(sel: string): Promise<{ w: number; h: number; src: string }> {
  await page.waitForFunction((s) => {
    const img = document.querySelector<HTMLImageElement>(s);
    return !!img && img.complete && img.naturalWidth > 0;
  }, sel, { timeout: 10_000 });
  return page.$eval(sel, (el) => ({ w: (el as HTMLImageElement).naturalWidth, h: (el as HTMLImageElement).naturalHeight, src: (el as HTMLImageElement).src }));
}

beforeAll(async () => {
  stack = await startStack();
  const c = client(stack.api, P);
  for (const id of ["r1", "r2"]) {
    await c.createRun({ run_id: id, name: id });
    await c.log(id, { series: [{ path: "train/loss", steps: [0, 1], values: [1, 0.5] }] });
  }
  await upload("r1", "img/pred", png(4, 2, [220, 30, 30]), "step=1&name=red.png");
  await upload("r1", "img/pred", png(2, 4, [30, 30, 220]), "step=2&name=blue.png");
  await upload("r1", "plot.png", png(6, 3, [30, 160, 30]), "name=plot.png");
  await upload("r1", "data/blob", Buffer.from("<svg xmlns='http://www.w3.org/2000/svg'></svg>"), "name=evil.svg");
  await upload("r2", "img/pred", png(5, 5, [30, 160, 30]), "step=7&name=green.png");
  ({ browser, page } = await openPage({ viewport: { width: 1280, height: 900 } }));
});

afterAll(async () => {
  await browser?.close();
  await stack?.stop();
});

describe("images", () => {
  it("shows a file series' latest image, and the slider switches steps", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/r1?s=pred`);
    const card = '.card[data-path="img/pred"]';
    let img = await imageAt(`${card} .image-box[data-step="2"] img`);
    expect([img.w, img.h]).toEqual([2, 4]);
    expect(img.src).toContain("step=2");
    expect(await page.textContent(`${card} .image-step`)).toContain("step 2 · 2/2");
    await page.$eval(`${card} .image-slider`, (el) => {
      (el as HTMLInputElement).value = "0";
      el.dispatchEvent(new Event("input", { bubbles: true }));
    });
    img = await imageAt(`${card} .image-box[data-step="1"] img`);
    expect([img.w, img.h]).toEqual([4, 2]);
    expect(img.src).toContain("step=1");
    expect(await page.textContent(`${card} .image-step`)).toContain("step 1 · 1/2");
  });

  it("shows a single image file inline, and a file that is not an image as a download link", async () => {
    await page.goto(`${stack.web}/#/p/${P}/r/r1?s=%2Fplot%7Cblob%2F`);
    const img = await imageAt('.card[data-path="plot.png"] img');
    expect([img.w, img.h]).toEqual([6, 3]);
    await page.waitForSelector('.card[data-path="data/blob"] .file-plain a[download]');
    expect(await page.$('.card[data-path="data/blob"] img')).toBeNull();
  });

  it("compare shows the latest image of each run", async () => {
    await page.goto(`${stack.web}/#/p/${P}/compare?run=r1&run=r2&s=pred`);
    const a = await imageAt('.card[data-path="img/pred"] .image-run[data-run="r1"][data-step="2"] img');
    const b = await imageAt('.card[data-path="img/pred"] .image-run[data-run="r2"][data-step="7"] img');
    expect([a.w, a.h]).toEqual([2, 4]);
    expect([b.w, b.h]).toEqual([5, 5]);
  });
});
