// The form that adds or edits a dashboard panel: its metrics (paths or
// /regex/, previewed against the project's series), x axis, smoothing and
// log scale.

import { matchMetrics, metricError, parseMetricList, type Panel } from "../lib/dashboard";
import { h, setChildren } from "../lib/dom";

export interface EditorSpec {
  panel: Panel;
  /** the project's float series */
  paths: string[];
  onApply(p: Panel): void;
  onCancel(): void;
}

export function panelEditor(spec: EditorSpec): HTMLElement {
  const { panel, paths } = spec;
  const listId = `dash-paths-${Math.random().toString(36).slice(2)}`;
  const metrics = h("textarea", {
    class: "input dash-metrics", rows: 3, spellcheck: "false",
    placeholder: "train/loss, val/loss\nor a regex: /^grads\\/layer_\\d+$/",
    oninput: () => preview(),
  });
  metrics.value = panel.metrics.join("\n");
  const x = h("input", { class: "input dash-x", list: listId, value: panel.x, title: "step, wall, relative, or the path of a float series (e.g. train/epoch)" });
  const smooth = h("input", { class: "input dash-smooth", type: "number", min: "0", max: "0.99", step: "0.05", value: String(panel.smooth) });
  const log = h("input", { type: "checkbox", class: "dash-log", checked: panel.log });
  const previewEl = h("div", { class: "dash-preview muted" });
  const err = h("div", { class: "views-error dash-editor-error", hidden: true });
  const datalist = h("datalist", { id: listId },
    ["step", "wall", "relative", ...paths].map((p) => h("option", { value: p })));

  function preview(): void {
    const list = parseMetricList(metrics.value);
    const bad = list.map(metricError).find((e) => e);
    const matched = matchMetrics(list, paths);
    setChildren(previewEl, bad ? bad : matched.length ? `${matched.length} series: ${matched.slice(0, 8).join(", ")}${matched.length > 8 ? ", …" : ""}` : "no series match");
  }

  function apply(): void {
    const list = parseMetricList(metrics.value);
    const bad = list.map(metricError).find((e) => e) ?? (list.length ? null : "Enter at least one metric");
    const xv = x.value.trim() || "step";
    const sm = Number(smooth.value);
    const problem = bad ?? (Number.isFinite(sm) && sm >= 0 && sm < 1 ? null : "Smoothing is a number in [0, 1)");
    err.textContent = problem ?? "";
    err.hidden = !problem;
    if (problem) return;
    spec.onApply({ ...panel, metrics: list, x: xv, smooth: sm, log: log.checked });
  }

  preview();
  return h("div", { class: "dash-editor" },
    h("label", { class: "dash-field" }, h("span", null, "Metrics"), metrics),
    previewEl,
    h("div", { class: "dash-row" },
      h("label", { class: "dash-field" }, h("span", null, "x axis"), x, datalist),
      h("label", { class: "dash-field" }, h("span", null, "Smoothing"), smooth),
      h("label", { class: "ctl" }, log, "Log y")),
    err,
    h("div", { class: "dash-row" },
      h("button", { class: "btn primary dash-apply", onclick: apply }, "Apply"),
      h("button", { class: "btn ghost dash-cancel", onclick: () => spec.onCancel() }, "Cancel")),
  );
}
