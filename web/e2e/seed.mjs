// Deterministic example data, logged through the HTTP API like a training
// script would: a small LR sweep for a language model.

/** mulberry32: a tiny seeded PRNG, so screenshots are reproducible. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gauss(r) {
  return Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r());
}

/**
 * Curves for one run over steps [from, to) every `every` steps.
 * `lr` shapes how fast loss falls; `diverge` makes the loss blow up to NaN.
 */
function curves(r, { lr, layers, from, to, every, diverge, floor }) {
  const steps = [];
  const s = { loss: [], lrv: [], gn: [], tps: [], mem: [] };
  const lrScale = Math.log10(lr / 1e-5);
  for (let step = from; step < to; step += every) {
    steps.push(step);
    const t = step / 1000;
    let loss = floor + 2.2 * Math.exp(-t * 0.35 * lrScale) + 0.35 / (1 + t) + 0.035 * gauss(r);
    if (diverge && step > diverge) loss = step > diverge + 400 ? "NaN" : loss * Math.exp((step - diverge) / 90);
    if (step % 1370 === 0 && step > 0 && !diverge) loss += 0.4 * r(); // loss spikes
    s.loss.push(loss);
    const warm = Math.min(1, step / 500);
    s.lrv.push(lr * warm * (0.5 + 0.5 * Math.cos(Math.PI * Math.min(1, step / 6000))));
    s.gn.push(diverge && step > diverge ? (step > diverge + 300 ? "Infinity" : 50 + r() * 200) : 0.8 + 1.2 * Math.exp(-t) + 0.15 * Math.abs(gauss(r)));
    s.tps.push(152000 + 4000 * gauss(r) - layers * 900);
    s.mem.push(38 + layers * 0.9 + r() * 0.4);
  }
  return { steps, s };
}

export async function seedShowcase(c, opts = {}) {
  const total = opts.total ?? 6000;
  const lrs = [1e-4, 3e-4, 6e-4, 1e-3];
  const depths = [12, 24];
  const runs = [];
  let i = 0;
  for (const layers of depths) {
    for (const lr of lrs) {
      for (const warmup of [500, 2000]) {
        i++;
        const id = `sweep-${String(i).padStart(2, "0")}`;
        const diverge = lr === 1e-3 && layers === 24 && warmup === 500 ? 2600 : 0;
        const running = i === 3 || i === 11;
        runs.push({ id, lr, layers, warmup, diverge, running });
      }
    }
  }
  const t0 = 1795300000;
  for (const [k, run] of runs.entries()) {
    const r = rng(k + 1);
    await c.createRun({ run_id: run.id, name: run.id, experiment_name: "pretrain-350m", created_at: t0 + k * 1800 });
    const tags = ["sweep", run.layers === 24 ? "deep" : "base", ...(run.lr === 3e-4 && run.warmup === 500 ? ["baseline"] : [])];
    const end = run.running ? Math.floor(total * 0.55) : run.diverge ? 3200 : total;
    const { steps, s } = curves(r, { lr: run.lr, layers: run.layers, from: 0, to: end, every: opts.every ?? 10, diverge: run.diverge, floor: 1.6 + (run.layers === 24 ? -0.12 : 0) });
    const evalSteps = steps.filter((x) => x % 250 === 0);
    const idx = new Map(steps.map((x, j) => [x, j]));
    const evalLoss = evalSteps.map((x) => {
      const v = s.loss[idx.get(x)];
      return typeof v === "number" ? v + 0.06 : v;
    });
    const series = [
      { path: "train/loss", steps, values: s.loss },
      { path: "train/lr", steps, values: s.lrv },
      { path: "train/grad_norm", steps, values: s.gn },
      // tokens seen (batch 512 × 1024 tokens a step): an x axis for the dashboard
      { path: "train/tokens", steps, values: steps.map((x) => x * 524288) },
      { path: "perf/tokens_per_s", steps, values: s.tps },
      { path: "perf/gpu_mem_gb", steps, values: s.mem },
      { path: "eval/loss", steps: evalSteps, values: evalLoss },
      { path: "eval/ppl", steps: evalSteps, values: evalLoss.map((v) => (typeof v === "number" ? Math.exp(v) : v)) },
      { path: "eval/acc", steps: evalSteps, values: evalLoss.map((v) => (typeof v === "number" ? Math.max(0, 0.72 - 0.18 * v + 0.005 * gauss(r)) : "NaN")) },
      { path: "logs/stdout", type: "string", steps: evalSteps, values: evalSteps.map((x, j) => `[eval] step ${x} loss=${typeof evalLoss[j] === "number" ? evalLoss[j].toFixed(4) : evalLoss[j]} tokens=${(x * 524288).toLocaleString("en")}`) },
    ];
    if (opts.histograms !== false) {
      // Weight distribution of the last layer: widens as training goes on (a diverging run's explodes).
      const hSteps = steps.filter((x) => x % 100 === 0);
      const edges = Array.from({ length: 49 }, (_, b) => -3 + b * 0.125);
      const centres = edges.slice(1).map((e) => e - 0.0625);
      series.push({
        path: "weights/last_layer", type: "histogram", steps: hSteps,
        values: hSteps.map((x) => {
          const sd = 0.35 + 0.5 * Math.sqrt(x / total) + (run.diverge && x > run.diverge ? (x - run.diverge) / 300 : 0);
          const mu = 0.15 * Math.sin(x / 900);
          return { edges, counts: centres.map((c) => Math.round(4000 * Math.exp(-0.5 * ((c - mu) / sd) ** 2) / sd)) };
        }),
      });
    }
    for (let l = 0; l < (opts.layerSeries ?? 8); l++) {
      series.push({ path: `grads/layer_${String(l).padStart(2, "0")}`, steps, values: s.gn.map((g) => (typeof g === "number" ? g * (0.4 + 0.08 * l) * (1 + 0.1 * gauss(r)) : g)) });
    }
    await c.log(run.id, {
      configs: {
        "config/lr": run.lr, "config/layers": run.layers, "config/warmup_steps": run.warmup,
        "config/batch_size": 512, "config/optimizer": "adamw", "config/weight_decay": 0.1,
        "config/model/d_model": run.layers === 24 ? 1024 : 768, "config/model/heads": 16, "config/bf16": true,
        "config/data/dataset": "fineweb-edu", "config/seed": 1000 + k,
      },
      series,
      add_tags: tags,
      ...(run.running ? {} : { state: run.diverge ? "failed" : "finished" }),
    });
  }
  // Resume the baseline from step 3000 with a lower learning rate.
  const base = runs.find((x) => x.lr === 3e-4 && x.warmup === 500 && x.layers === 12);
  await c.createRun({ run_id: "sweep-03-lowlr", name: "sweep-03-lowlr", experiment_name: "pretrain-350m", fork_run_id: base.id, fork_step: 3000, created_at: t0 + 17 * 1800 });
  const r = rng(99);
  const { steps, s } = curves(r, { lr: 1.5e-4, layers: 12, from: 3000 + (opts.every ?? 10), to: total, every: opts.every ?? 10, diverge: 0, floor: 1.55 });
  await c.log("sweep-03-lowlr", {
    configs: { "config/lr": 1.5e-4, "config/layers": 12, "config/warmup_steps": 0, "config/batch_size": 512, "config/optimizer": "adamw", "config/weight_decay": 0.1, "config/model/d_model": 768, "config/model/heads": 16, "config/bf16": true, "config/data/dataset": "fineweb-edu", "config/seed": 1002 },
    series: [{ path: "train/loss", steps, values: s.loss }, { path: "train/lr", steps, values: s.lrv.map((v) => v / 2) }, { path: "train/grad_norm", steps, values: s.gn }],
    add_tags: ["resumed"],
    state: "finished",
  });
  return runs.map((x) => x.id);
}
