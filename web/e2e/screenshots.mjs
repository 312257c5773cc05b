// Takes the README/doc screenshots (docs/img/*.png) against a freshly seeded server.
// Usage: npm run screenshots   (builds first)

import { chromium } from "playwright-core";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { CHROMIUM, CHROMIUM_ARGS, WEB_DIR, client, startStack } from "./harness.mjs";
import { seedShowcase } from "./seed.mjs";

const OUT = process.env.SCREENSHOT_DIR ?? join(WEB_DIR, "..", "docs", "img");
mkdirSync(OUT, { recursive: true });

const stack = await startStack();
const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS });
try {
  await seedShowcase(client(stack.api, "llm/pretrain-350m"), { every: 2 });
  const page = await browser.newPage({ viewport: { width: 1440, height: 900 }, deviceScaleFactor: 1 });
  const shot = async (name, hash, waitFor) => {
    await page.goto(`${stack.web}/${hash}`);
    await page.waitForSelector(waitFor);
    await page.waitForTimeout(1200);
    await page.screenshot({ path: join(OUT, name) });
    console.log("wrote", join(OUT, name));
  };
  await shot("runs-table.png", "#/p/llm/pretrain-350m?" + new URLSearchParams([["sort", "train/loss"], ...["sys/name", "sys/state", "sys/created_at", "sys/tags", "config/lr", "config/layers", "config/warmup_steps", "config/model/d_model", "train/loss", "eval/loss", "eval/acc", "train/grad_norm", "perf/tokens_per_s"].map((c) => ["col", c]), ["sel", "sweep-03"], ["sel", "sweep-11"], ["sel", "sweep-07"]]), ".tr[data-run]");
  await shot("run-page.png", "#/p/llm/pretrain-350m/r/sweep-03", ".card.mounted canvas");
  await shot("compare.png", "#/p/llm/pretrain-350m/compare?run=sweep-03&run=sweep-11&run=sweep-07&smooth=0.6", ".card.mounted canvas");
  await shot("heatmap.png", "#/p/llm/pretrain-350m/r/sweep-15?" + new URLSearchParams([["s", "/^(weights|train\\/(loss|grad_norm))/"]]), '.card[data-path="weights/last_layer"] canvas.heatmap');
  await shot("runs-grouped.png", "#/p/llm/pretrain-350m?" + new URLSearchParams([["sort", "train/loss"], ["group", "config/layers"], ...["sys/name", "sys/state", "sys/tags", "config/lr", "config/layers", "config/warmup_steps", "train/loss", "eval/acc"].map((c) => ["col", c])]), ".group-row");
  await page.click(".views-btn");
  await page.fill(".view-name", "deep runs by loss");
  await page.click(".view-save");
  await page.waitForSelector(".view-item");
  await page.fill(".view-name", "");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, "runs-views.png"), clip: { x: 640, y: 0, width: 800, height: 420 } });
  console.log("wrote", join(OUT, "runs-views.png"));
  // Dashboard: the deep runs that did not diverge, a pinned section of loss against tokens seen, then the default sections.
  await page.goto(`${stack.web}/#/p/llm/pretrain-350m/dashboard?q=${encodeURIComponent("config/layers = 24 and config/lr < 1e-3")}`);
  await page.waitForSelector('.dash-section[data-section="train"] .dash-card');
  await page.fill(".dash-new-section", "overview");
  await page.press(".dash-new-section", "Enter");
  for (const [metrics, x] of [["train/loss\neval/loss", "train/tokens"], ["/^train\\/(lr|grad_norm)$/", "step"]]) {
    await page.click('.dash-section[data-section="overview"] .dash-add-panel');
    await page.fill(".dash-editor .dash-metrics", metrics);
    await page.fill(".dash-editor .dash-x", x);
    await page.click(".dash-editor .dash-apply");
  }
  await page.click('.dash-section[data-section="overview"] .dash-pin');
  await page.waitForSelector('.dash-section[data-section="overview"] .card-body[data-x="series"] canvas');
  await page.waitForTimeout(1200);
  await page.screenshot({ path: join(OUT, "dashboard.png") });
  console.log("wrote", join(OUT, "dashboard.png"));
  // Sweeps: lr, warmup and depth against the results; the best eval losses brushed.
  await page.goto(`${stack.web}/#/p/llm/pretrain-350m/sweeps?` + new URLSearchParams([...["config/lr", "config/warmup_steps", "config/layers", "min(train/loss)", "min(eval/loss)"].map((a) => ["axis", a]), ["sx", "config/lr"], ["sy", "min(eval/loss)"]]));
  await page.waitForSelector(".pc-line");
  const axis = await (await page.$('.pc-axis[data-path="min(eval/loss)"] .pc-axis-line')).boundingBox();
  await page.mouse.move(axis.x + 1, axis.y + axis.height);
  await page.mouse.down();
  await page.mouse.move(axis.x + 1, axis.y + axis.height * 0.7, { steps: 4 });
  await page.mouse.up();
  await page.waitForSelector(".pc-line.selected");
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(OUT, "sweeps.png") });
  console.log("wrote", join(OUT, "sweeps.png"));
  if (process.env.EXTRA_SHOTS) {
    await shot("extra-failed-run.png", "#/p/llm/pretrain-350m/r/sweep-15", ".card.mounted canvas");
    await shot("extra-projects.png", "#/", ".project-link");
    await shot("extra-failed-train.png", "#/p/llm/pretrain-350m/r/sweep-15?s=train", ".card.mounted canvas");
    await shot("extra-failed-train-log.png", "#/p/llm/pretrain-350m/r/sweep-15?s=train&log=1", ".card.mounted canvas");
  }
} finally {
  await browser.close();
  await stack.stop();
}
