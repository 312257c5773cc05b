import { describe, expect, it } from "vitest";
import type { Attribute } from "../src/lib/api";
import { formatClock } from "../src/lib/format";
import { chartRange, chartXAxis, isMonitoring, logTimeLabel, runLastStep, stepsAreTimes } from "../src/lib/monitoring";

// What the Python SDK logs for system metrics: steps are Unix seconds.
const UNIX_STEP = 1796172807.998612;
/** Unix seconds of a local date and time (the tests hold in any time zone). */
const local = (y: number, mo: number, d: number, h: number, mi: number, s: number, ms = 0) =>
  new Date(y, mo - 1, d, h, mi, s, ms).getTime() / 1000;

describe("runLastStep", () => {
  const attrs: Attribute[] = [
    { path: "train/loss", type: "float_series", last_step: 1200 },
    { path: "eval/acc", type: "float_series", last_step: 1000 },
    { path: "monitoring/cpu_percent", type: "float_series", last_step: UNIX_STEP },
    { path: "monitoring/gpu/0/util", type: "float_series", last_step: UNIX_STEP + 5 },
    { path: "monitoring/stdout", type: "string_series", last_step: UNIX_STEP },
  ];

  it("leaves out monitoring/ series, whose steps are Unix seconds", () => expect(runLastStep(attrs)).toBe(1200));
  it("is null for a run with only system metrics", () => expect(runLastStep(attrs.slice(2))).toBeNull());
  it("is null without float series", () => expect(runLastStep([{ path: "config/lr", type: "float", value: 1 }])).toBeNull());
  it("keeps a path that only starts with the word", () =>
    expect(runLastStep([{ path: "monitoring_loss", type: "float_series", last_step: 7 }])).toBe(7));
});

describe("chartXAxis", () => {
  it("draws monitoring/ on wall time when the page asks for steps", () => {
    expect(chartXAxis("monitoring/cpu_percent", undefined)).toBe("wall");
    expect(chartXAxis("monitoring/cpu_percent", "step")).toBe("wall");
  });
  it("keeps an explicit time axis", () => expect(chartXAxis("monitoring/memory_percent", "relative")).toBe("relative"));
  it("leaves other series on steps", () => {
    expect(chartXAxis("train/loss", undefined)).toBe("step");
    expect(chartXAxis("train/loss", "wall")).toBe("wall");
  });
  it("matches the prefix only", () => {
    expect(isMonitoring("monitoring/stdout")).toBe(true);
    expect(isMonitoring("train/monitoring/x")).toBe(false);
  });
});

describe("chartRange", () => {
  const steps: [number, number] = [100, 200];
  const times: [number, number] = [UNIX_STEP, UNIX_STEP + 60];
  it("gives other series the page's zoom", () => expect(chartRange("train/loss", steps, null)).toEqual(steps));
  it("keeps a training-step zoom away from monitoring/ charts", () => expect(chartRange("monitoring/cpu_percent", steps, null)).toBeNull());
  it("takes a page zoom that reads as times", () => expect(chartRange("monitoring/cpu_percent", times, null)).toEqual(times));
  it("prefers a monitoring chart's own zoom", () => expect(chartRange("monitoring/cpu_percent", steps, times)).toEqual(times));
});

describe("stepsAreTimes", () => {
  it("takes Unix seconds for times", () => expect(stepsAreTimes(UNIX_STEP)).toBe(true));
  it("takes training steps for steps", () => {
    expect(stepsAreTimes(0)).toBe(false);
    expect(stepsAreTimes(5_000_000)).toBe(false);
    expect(stepsAreTimes(undefined)).toBe(false);
  });
});

describe("logTimeLabel", () => {
  const t0 = local(2026, 12, 3, 7, 1, 5, 998);
  it("shows the date and local time on the first line, never the raw seconds", () => {
    const l = logTimeLabel(t0, null);
    expect(l.text).toBe("2026-12-03 07:01:05");
    expect(l.title).toBe("2026-12-03 07:01:05.998");
    expect(l.text).not.toContain("1796");
  });
  it("shows only the time on the same day", () => expect(logTimeLabel(t0 + 60, t0).text).toBe("07:02:05"));
  it("shows the date again when the day changes", () =>
    expect(logTimeLabel(local(2026, 12, 4, 0, 0, 1), local(2026, 12, 3, 23, 59, 59)).text).toBe("2026-12-04 00:00:01"));
  it("formats a clock time", () => expect(formatClock(local(2026, 1, 2, 3, 4, 5))).toBe("03:04:05"));
});
