"""POST …/series: raw reads with paging, step ranges, downsampled buckets
(checked against a brute-force computation), time buckets, several runs,
and fork lineage."""
from __future__ import annotations

import math
import random
from fractions import Fraction

import pytest

from sextant_e2e import assert_error, fval, jfloat, same_float

BUCKET_KEYS = ("index", "first_step", "last_step", "min", "max", "mean", "count", "nan_count", "last")


def brute_buckets(points: dict, lo, hi, nb: int, key=None) -> dict:
    """Buckets of points {step: value} over [lo, hi]: bucket i holds
    lo + i*(hi-lo)/nb <= x < lo + (i+1)*(hi-lo)/nb, x = key(step), computed
    exactly. The doc says only "equal buckets"; the tests choose ranges whose
    bucket edges lie between points, so that any reasonable edge convention
    (e.g. width (hi-lo)/n or (hi-lo+1e-6)/n) gives the same buckets."""
    key = key or (lambda s: s)

    def micro(x) -> int:  # exact: decimals with at most six fractional digits
        f = Fraction(str(x)) * 1_000_000
        assert f.denominator == 1, x
        return int(f)

    mlo, mhi = micro(lo), micro(hi)
    acc: dict[int, list] = {}
    for s in sorted(points):
        k = key(s)
        x = k * 1_000_000 if isinstance(k, int) else micro(k)
        if not (mlo <= x <= mhi):
            continue
        i = min((x - mlo) * nb // (mhi - mlo), nb - 1)
        acc.setdefault(i, []).append((s, points[s]))
    out = {k: [] for k in BUCKET_KEYS}
    for i in sorted(acc):
        pts = acc[i]
        vals = [v for _, v in pts if not math.isnan(v)]
        out["index"].append(i)
        out["first_step"].append(pts[0][0])
        out["last_step"].append(pts[-1][0])
        out["min"].append(min(vals) if vals else math.nan)
        out["max"].append(max(vals) if vals else math.nan)
        out["mean"].append(math.fsum(vals) / len(vals) if vals else math.nan)
        out["count"].append(len(pts))
        out["nan_count"].append(len(pts) - len(vals))
        out["last"].append(pts[-1][1])
    return out


def check_snapped(got: dict, exact: dict, nb: int, ctx: str = "") -> None:
    """Buckets with edges snapped to stored 128-point blocks against the
    equal-width ones: same points, NaNs, extremes and ends; buckets in order
    without overlap; none further than a block from its twin."""
    assert sum(got["count"]) == sum(exact["count"]), ctx
    assert sum(got["nan_count"]) == sum(exact["nan_count"]), ctx
    if not exact["index"]:
        assert got["index"] == [], ctx
        return
    finite = lambda xs: [fval(x) for x in xs if not math.isnan(fval(x))]
    assert min(finite(got["min"])) == min(finite(exact["min"])), ctx
    assert max(finite(got["max"])) == max(finite(exact["max"])), ctx
    assert got["first_step"][0] == exact["first_step"][0], ctx
    assert got["last_step"][-1] == exact["last_step"][-1], ctx
    assert got["index"] == sorted(set(got["index"])) and all(0 <= i < nb for i in got["index"]), ctx
    for i in range(1, len(got["index"])):
        assert got["first_step"][i] > got["last_step"][i - 1], ctx
    twin = dict(zip(exact["index"], exact["count"]))
    for i, c in zip(got["index"], got["count"]):
        assert abs(c - twin.get(i, 0)) <= 2 * 127, f"{ctx}: bucket {i}: {c} points, equal-width {twin.get(i, 0)}"


def check_buckets(got: dict, want: dict, ctx: str = "") -> None:
    for k in BUCKET_KEYS:
        assert k in got, f"{ctx}: bucket field {k!r} missing: {sorted(got)}"
        assert len(got[k]) == len(want[k]), f"{ctx}: {k}: {len(got[k])} buckets, want {len(want[k])}"
    assert got["index"] == want["index"], ctx
    assert got["first_step"] == want["first_step"], ctx
    assert got["last_step"] == want["last_step"], ctx
    assert got["count"] == want["count"], ctx
    assert got["nan_count"] == want["nan_count"], ctx
    for k in ("min", "max", "last"):
        for j, (g, w) in enumerate(zip(got[k], want[k])):
            assert same_float(fval(g), w) or (fval(g) == w), \
                f"{ctx}: {k}[{j}] (bucket {want['index'][j]}) = {g!r}, want {w!r}"
    for j, (g, w) in enumerate(zip(got["mean"], want["mean"])):
        g = fval(g)
        assert (math.isnan(g) and math.isnan(w)) or g == w or math.isclose(g, w, rel_tol=1e-9, abs_tol=1e-12), \
            f"{ctx}: mean[{j}] (bucket {want['index'][j]}) = {g!r}, want {w!r}"


# ---------------------------------------------------------------- raw reads

def test_raw_paging_and_step_range(client, proj):
    client.create_run(proj, "r")
    n = 2500
    ts0 = 1763812345.0
    client.log(proj, "r", {"series": [{"path": "m", "steps": list(range(n)),
                                       "values": [i * 0.25 for i in range(n)],
                                       "timestamps": [ts0 + i * 0.001 for i in range(n)]}]})
    pages = []
    after = None
    for _ in range(10):
        body = {"runs": ["r"], "path": "m", "limit": 1000}
        if after is not None:
            body["after_step"] = after
        s = client.series(proj, body).json["series"][0]
        pages.append(s)
        after = s["next_after_step"]
        if after is None:
            break
    assert [len(p["steps"]) for p in pages] == [1000, 1000, 500]
    assert [p["next_after_step"] for p in pages] == [999, 1999, None]
    steps = sum((p["steps"] for p in pages), [])
    values = sum((p["values"] for p in pages), [])
    tss = sum((p["timestamps"] for p in pages), [])
    assert steps == list(range(n))
    assert values == [i * 0.25 for i in range(n)]
    assert tss == pytest.approx([ts0 + i * 0.001 for i in range(n)], abs=2e-6)

    # Exactly `limit` remaining: the doc says next_after_step is set only when
    # more remain.
    s = client.series(proj, {"runs": ["r"], "path": "m", "limit": 500, "after_step": 1999}).json["series"][0]
    assert len(s["steps"]) == 500 and s["next_after_step"] is None

    # Default limit 10,000 covers everything.
    s = client.series(proj, {"runs": ["r"], "path": "m"}).json["series"][0]
    assert s["steps"] == list(range(n)) and s["next_after_step"] is None

    # step_range is inclusive on both ends.
    s = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [100, 200]}).json["series"][0]
    assert s["steps"] == list(range(100, 201))
    s = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [100.5, 110.5]}).json["series"][0]
    assert s["steps"] == list(range(101, 111))
    # step_range + paging
    s = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [100, 200], "limit": 60}).json["series"][0]
    assert s["steps"] == list(range(100, 160)) and s["next_after_step"] == 159
    s = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [100, 200], "limit": 60,
                             "after_step": 159}).json["series"][0]
    assert s["steps"] == list(range(160, 201)) and s["next_after_step"] is None
    # fractional after_step
    s = client.series(proj, {"runs": ["r"], "path": "m", "after_step": 2497.5}).json["series"][0]
    assert s["steps"] == [2498, 2499]
    # explicit nulls are the defaults
    s = client.series(proj, {"runs": ["r"], "path": "m", "step_range": None, "time_range": None,
                             "after_step": None, "buckets": None, "limit": 3}).json["series"][0]
    assert s["steps"] == [0, 1, 2] and s["next_after_step"] == 2


def test_raw_paging_with_fractional_steps(client, proj):
    client.create_run(proj, "r")
    steps = [i / 8 for i in range(100)] + ["100.000001", "100.000002"]
    client.log(proj, "r", {"series": [{"path": "m", "steps": steps, "values": list(range(102))}]})
    got = []
    after = None
    while True:
        body = {"runs": ["r"], "path": "m", "limit": 7}
        if after is not None:
            body["after_step"] = after
        r = client.series(proj, body)
        s = r.exact()["series"][0]
        got += [str(x) for x in s["steps"]]
        after = s["next_after_step"]
        if after is None:
            break
        after = str(after)  # decimal string for exactness
    from decimal import Decimal
    assert [Decimal(x) for x in got] == [Decimal(str(x)) for x in steps]


def test_several_runs_in_one_request(client, proj):
    for rid, k in (("a", 1.0), ("b", 2.0), ("c", 3.0)):
        client.create_run(proj, rid)
        client.log(proj, rid, {"series": [{"path": "m", "steps": list(range(10)),
                                           "values": [k * i for i in range(10)]}]})
    client.create_run(proj, "empty")
    client.log(proj, "empty", {"series": [{"path": "other", "steps": [0], "values": [1.0]}]})
    r = client.series(proj, {"runs": ["c", "empty", "a", "b"], "path": "m"})
    series = r.json["series"]
    assert [s["run_id"] for s in series] == ["c", "empty", "a", "b"]
    for s, k in zip(series, (3.0, None, 1.0, 2.0)):
        if k is None:
            assert s["steps"] == [] and s["values"] == [], s
            assert s.get("next_after_step") is None
        else:
            assert s["steps"] == list(range(10))
            assert s["values"] == [k * i for i in range(10)]
    # limit is per run
    r = client.series(proj, {"runs": ["a", "b"], "path": "m", "limit": 4})
    for s in r.json["series"]:
        assert s["steps"] == [0, 1, 2, 3] and s["next_after_step"] == 3
    # buckets for several runs
    r = client.series(proj, {"runs": ["a", "empty", "b"], "path": "m", "step_range": [-0.5, 9.5], "buckets": 2,
                             "exact_buckets": True})
    series = r.json["series"]
    assert [s["run_id"] for s in series] == ["a", "empty", "b"]
    assert series[1]["buckets"]["index"] == [] and series[1]["buckets"]["count"] == []
    for s, k in ((series[0], 1.0), (series[2], 2.0)):
        b = s["buckets"]
        assert b["index"] == [0, 1] and b["count"] == [5, 5]
        assert [fval(x) for x in b["min"]] == [0.0, 5 * k]
        assert [fval(x) for x in b["max"]] == [4 * k, 9 * k]
        assert [fval(x) for x in b["last"]] == [4 * k, 9 * k]


def test_series_errors(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [0], "values": [1.0]}]})
    assert_error(client.series(proj, {"runs": ["r", "ghost"], "path": "m"}, expect=None), 404, "not_found")
    assert_error(client.series("e2e/no-such-project-series", {"runs": ["r"], "path": "m"}, expect=None),
                 404, "not_found")
    for body in ({"runs": ["r"]}, {"path": "m"}, {"runs": "r", "path": "m"}, {"runs": ["r"], "path": ""},
                 {"runs": ["r"], "path": "a//b"}, {"runs": ["r"], "path": "m", "buckets": 0},
                 {"runs": ["r"], "path": "m", "buckets": 100_001}, {"runs": ["r"], "path": "m", "buckets": "x"},
                 {"runs": ["r"], "path": "m", "limit": -5},
                 {"runs": ["r"], "path": "m", "step_range": [1]},
                 {"runs": ["r"], "path": "m", "step_range": ["a", "b"]},
                 {"runs": ["r"], "path": "m", "after_step": "NaN"},
                 {"runs": ["r"], "path": "m", "lineage": "yes"}, []):
        r = client.series(proj, body, expect=None)
        assert_error(r, 400, "invalid_argument")
    r = client.post(f"/projects/{proj}/series", raw=b"{nope")
    assert_error(r, 400, "invalid_argument")
    # Allowed extremes.
    client.series(proj, {"runs": ["r"], "path": "m", "buckets": 1})
    client.series(proj, {"runs": ["r"], "path": "m", "buckets": 100_000, "step_range": [0, 1]})
    client.series(proj, {"runs": ["r"], "path": "m", "limit": 1_000_000})


def test_string_and_histogram_series_returned_raw_even_with_buckets(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [
        {"path": "txt", "type": "string", "steps": [0, 1, 2], "values": ["a", "", "c\n\"q\""]},
        {"path": "h", "type": "histogram", "steps": [0, 1],
         "values": [{"edges": [0, 0.5, 1], "counts": [1, 2]}, {"edges": [-1, 1], "counts": [7.5]}]}]})
    for extra in ({}, {"buckets": 10, "step_range": [0, 10]}):
        s = client.series(proj, {"runs": ["r"], "path": "txt", **extra}).json["series"][0]
        assert s["type"] == "string_series"
        assert s["steps"] == [0, 1, 2] and s["values"] == ["a", "", "c\n\"q\""]
        s = client.series(proj, {"runs": ["r"], "path": "h", **extra}).json["series"][0]
        assert s["type"] == "histogram_series"
        assert s["steps"] == [0, 1]
        assert [[fval(x) for x in v["edges"]] for v in s["values"]] == [[0, 0.5, 1], [-1, 1]]
        assert [[fval(x) for x in v["counts"]] for v in s["values"]] == [[1, 2], [7.5]]


# ---------------------------------------------------------------- downsampling

@pytest.fixture(scope="module")
def big_series(server):
    """100k points written out of order in overlapping batches, then 2,000
    steps overwritten: the stored chunks overlap, so chunk statistics alone
    would give wrong answers."""
    c = server.client
    proj = "e2e/big_series"
    c.create_run(proj, "big")
    rng = random.Random(20261122)
    steps = [s for s in range(110_000) if not (20_000 <= s < 30_000)]
    assert len(steps) == 100_000
    points = {s: rng.gauss(0, 1) * (1 + s / 10_000) for s in steps}
    order = steps[:]
    rng.shuffle(order)
    # Three random-order batches, then one sorted batch.
    parts = [order[:20_000], order[20_000:45_000], order[45_000:70_000], sorted(order[70_000:])]
    for part in parts:
        c.log(proj, "big", {"series": [{"path": "m", "steps": part,
                                        "values": [points[s] for s in part]}]})
    over = rng.sample(steps, 2000)
    for s in over:
        points[s] = rng.uniform(-100, 100)
    c.log(proj, "big", {"series": [{"path": "m", "steps": over, "values": [points[s] for s in over]}]})
    return proj, points


def test_downsample_100k_matches_brute_force(client, big_series):
    proj, points = big_series
    # Edges always fall between integer steps (see brute_buckets).
    cases = [((-0.5, 109_999.5), 1000), ((-0.5, 109_999.5), 7), ((999.5, 50_999.5), 250),
             ((-0.5, 99_999.5), 100_000), ((19_989.5, 30_009.5), 20), ((-0.5, 109_999.5), 1)]
    for (lo, hi), nb in cases:
        r = client.series(proj, {"runs": ["big"], "path": "m", "step_range": [lo, hi], "buckets": nb,
                                 "exact_buckets": True})
        s = r.json["series"][0]
        assert s["run_id"] == "big"
        want = brute_buckets(points, lo, hi, nb)
        check_buckets(s["buckets"], want, ctx=f"range {lo}-{hi}, {nb} buckets")
        # The default, edges snapped to stored blocks: the same points and
        # extremes, each bucket within one block of its equal-width twin.
        r = client.series(proj, {"runs": ["big"], "path": "m", "step_range": [lo, hi], "buckets": nb})
        check_snapped(r.json["series"][0]["buckets"], want, nb, ctx=f"snapped {lo}-{hi}, {nb} buckets")


def test_downsample_without_range_covers_everything(client, big_series):
    proj, points = big_series
    nb = 500
    s = client.series(proj, {"runs": ["big"], "path": "m", "buckets": nb}).json["series"][0]
    b = s["buckets"]
    assert sum(b["count"]) == len(points)
    assert all(0 <= i < nb for i in b["index"])
    assert b["index"] == sorted(set(b["index"]))
    assert min(fval(x) for x in b["min"]) == min(points.values())
    assert max(fval(x) for x in b["max"]) == max(points.values())
    assert b["first_step"][0] == 0 and b["last_step"][-1] == 109_999
    assert fval(b["last"][-1]) == points[109_999]
    total = math.fsum(fval(m) * c for m, c in zip(b["mean"], b["count"]))
    assert total == pytest.approx(math.fsum(points.values()), rel=1e-9, abs=1e-6)


def test_raw_read_of_100k_series(client, big_series):
    proj, points = big_series
    s = client.read_all(proj, "big", "m", page=30_000)
    assert s["steps"] == sorted(points)
    assert s["values"] == [points[k] for k in sorted(points)]


def test_downsample_with_non_finite_values(client, proj):
    client.create_run(proj, "r")
    vals = [1.0, "NaN", 3.0, "NaN", "NaN", -2.0, "Infinity", 0.5, "NaN", "-Infinity", "NaN", "NaN"]
    client.log(proj, "r", {"series": [{"path": "m", "steps": list(range(12)), "values": vals}]})
    s = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [-0.5, 11.5], "buckets": 4,
                             "exact_buckets": True}).json["series"][0]
    b = s["buckets"]
    # buckets: 0-2, 3-5, 6-8, 9-11
    assert b["index"] == [0, 1, 2, 3]
    assert b["nan_count"] == [1, 2, 1, 2]
    # count: the doc does not say whether NaNs are in `count`; accept both.
    assert b["count"] in ([3, 3, 3, 3], [2, 1, 2, 1]), b["count"]
    assert [fval(x) for x in b["min"]] == [1.0, -2.0, 0.5, -math.inf]
    assert [fval(x) for x in b["max"]] == [3.0, -2.0, math.inf, -math.inf]
    means = [fval(x) for x in b["mean"]]
    assert means[0] == 2.0 and means[1] == -2.0 and means[2] == math.inf and means[3] == -math.inf
    last = [fval(x) for x in b["last"]]
    assert last[0] == 3.0 and last[1] == -2.0 and math.isnan(last[2]) and math.isnan(last[3])
    assert b["first_step"] == [0, 3, 6, 9] and b["last_step"] == [2, 5, 8, 11]


def test_time_range_buckets(client, proj):
    client.create_run(proj, "r")
    t0 = 1763812000.0
    n = 4000
    rng = random.Random(7)
    values = [rng.uniform(-1, 1) for _ in range(n)]
    client.log(proj, "r", {"series": [{"path": "m", "steps": list(range(n)), "values": values,
                                       "timestamps": [t0 + i * 0.25 for i in range(n)]}]})
    # a second series logged with its timestamps in reverse step order
    client.log(proj, "r", {"series": [{"path": "rev", "steps": list(range(100)), "values": [float(i) for i in range(100)],
                                       "timestamps": [t0 + 100 - i for i in range(100)]}]})
    # Timestamps are multiples of 0.25 s; edges at x.125 fall between them.
    r = client.series(proj, {"runs": ["r"], "path": "m", "time_range": [t0 - 0.125, t0 + 999.875], "buckets": 10})
    b = r.json["series"][0]["buckets"]
    points = dict(enumerate(values))
    want = brute_buckets(points, -0.5, 3999.5, 10)  # ts = t0 + step/4: the same cut
    check_buckets(b, want, "time buckets")
    # A time_range that covers only part of the series.
    r = client.series(proj, {"runs": ["r"], "path": "m", "time_range": [t0 + 499.875, t0 + 599.875], "buckets": 4})
    b = r.json["series"][0]["buckets"]
    assert b["index"] == [0, 1, 2, 3]
    assert b["count"] == [100, 100, 100, 100]
    assert b["first_step"] == [2000, 2100, 2200, 2300] and b["last_step"] == [2099, 2199, 2299, 2399]
    # time_range is inclusive of both ends
    r = client.series(proj, {"runs": ["r"], "path": "m", "time_range": [t0 + 500, t0 + 600], "buckets": 1})
    b = r.json["series"][0]["buckets"]
    assert b["count"] == [401] and b["first_step"] == [2000] and b["last_step"] == [2400]
    # Timestamps that decrease with the step.
    r = client.series(proj, {"runs": ["r"], "path": "rev", "time_range": [t0 + 0.5, t0 + 100.5], "buckets": 2})
    b = r.json["series"][0]["buckets"]
    # t in [t0+0.5, t0+50.5) <-> steps 50..99; [t0+50.5, t0+100.5] <-> steps 0..49
    assert b["index"] == [0, 1]
    assert b["count"] == [50, 50]
    assert b["first_step"] == [50, 0] and b["last_step"] == [99, 49]
    assert [fval(x) for x in b["min"]] == [50.0, 0.0]


# ---------------------------------------------------------------- lineage

def test_fork_lineage(client, proj):
    client.create_run(proj, "r0")
    client.log(proj, "r0", {"series": [{"path": "m", "steps": list(range(10)), "values": [float(s) for s in range(10)]},
                                       {"path": "only_parent", "steps": [1], "values": [1.0]}]})
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c1", "fork_run_id": "r0", "fork_step": 5})
    assert r.status == 201, r
    client.log(proj, "c1", {"series": [{"path": "m", "steps": list(range(6, 13)),
                                        "values": [100.0 + s for s in range(6, 13)]}]})
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c2", "fork_run_id": "c1", "fork_step": 8})
    assert r.status == 201, r
    client.log(proj, "c2", {"series": [{"path": "m", "steps": list(range(9, 16)),
                                        "values": [200.0 + s for s in range(9, 16)]}]})

    def want(run):
        if run == "r0":
            return {s: float(s) for s in range(10)}
        if run == "c1":
            return {**{s: float(s) for s in range(6)}, **{s: 100.0 + s for s in range(6, 13)}}
        return {**{s: float(s) for s in range(6)}, **{s: 100.0 + s for s in range(6, 9)},
                **{s: 200.0 + s for s in range(9, 16)}}

    for run in ("r0", "c1", "c2"):
        s = client.read_all(proj, run, "m")
        w = want(run)
        assert s["steps"] == sorted(w), run
        assert s["values"] == [w[k] for k in sorted(w)], run
        # lineage is the default; paging through the lineage works too
        got = client.read_all(proj, run, "m", page=4, lineage=True)
        assert got["steps"] == sorted(w) and got["values"] == [w[k] for k in sorted(w)], run

    s = client.series(proj, {"runs": ["c2"], "path": "m", "lineage": False}).json["series"][0]
    assert s["steps"] == list(range(9, 16)) and s["values"] == [200.0 + x for x in range(9, 16)]
    s = client.series(proj, {"runs": ["c2"], "path": "only_parent"}).json["series"][0]
    assert s["steps"] == [1] and s["values"] == [1.0]
    s = client.series(proj, {"runs": ["c2"], "path": "only_parent", "lineage": False}).json["series"][0]
    assert s["steps"] == []

    # downsampling sees the lineage too
    w = want("c2")
    b = client.series(proj, {"runs": ["c2"], "path": "m", "step_range": [-0.5, 15.5], "buckets": 16,
                             "exact_buckets": True}).json["series"][0]["buckets"]
    check_buckets(b, brute_buckets(w, -0.5, 15.5, 16), "lineage buckets")
    b = client.series(proj, {"runs": ["c2"], "path": "m", "step_range": [-0.5, 15.5], "buckets": 4,
                             "lineage": False, "exact_buckets": True}).json["series"][0]["buckets"]
    check_buckets(b, brute_buckets({s: 200.0 + s for s in range(9, 16)}, -0.5, 15.5, 4), "no-lineage buckets")
    # the step range is inclusive of both ends
    b = client.series(proj, {"runs": ["c2"], "path": "m", "step_range": [3, 12], "buckets": 1}).json["series"][0]["buckets"]
    assert b["count"] == [10] and b["first_step"] == [3] and b["last_step"] == [12]

    # parent and children listing
    g = client.get(f"/projects/{proj}/runs/r0").json
    assert g["children"] == [{"run_id": "c1", "fork_step": 5}]
    g = client.get(f"/projects/{proj}/runs/c1").json
    assert g["children"] == [{"run_id": "c2", "fork_step": 8}]


def test_forked_run_rejects_steps_at_or_before_fork(client, proj):
    client.create_run(proj, "p")
    client.log(proj, "p", {"series": [{"path": "m", "steps": [0, 1, 2], "values": [0.0, 1.0, 2.0]}]})
    r = client.post(f"/projects/{proj}/runs", {"run_id": "c", "fork_run_id": "p", "fork_step": 1.5})
    assert r.status == 201, r
    for bad in ([1.5], [0], [-3], [1.499999], [2, 1]):
        r = client.log(proj, "c", {"configs": {"marker": 1},
                                   "series": [{"path": "m", "steps": bad, "values": [9.0] * len(bad)}]},
                       expect=None)
        assert_error(r, 400, "invalid_argument")
    assert "marker" not in client.attributes(proj, "c")
    client.log(proj, "c", {"series": [{"path": "m", "steps": ["1.500001", 3], "values": [15.0, 30.0]}]})
    s = client.read_all(proj, "c", "m")
    from decimal import Decimal
    r = client.series(proj, {"runs": ["c"], "path": "m"})
    steps = [Decimal(x) if not isinstance(x, Decimal) else x for x in r.exact()["series"][0]["steps"]]
    assert steps == [Decimal(0), Decimal(1), Decimal("1.500001"), Decimal(3)]
    assert s["values"] == [0.0, 1.0, 15.0, 30.0]
    # configs on a forked run are unaffected by fork_step
    client.log(proj, "c", {"configs": {"lr": 0.1}})


def test_mixed_infinities_and_negative_zero_last_value(client, proj):
    client.create_run(proj, "r")
    vals = [jfloat(math.nan), jfloat(math.inf), jfloat(-math.inf), -0.0]
    client.log(proj, "r", {"series": [{"path": "m", "steps": [10, 20, 30, 40], "values": vals}]})
    a = client.attributes(proj, "r")["m"]
    assert a["last_step"] == 40 and same_float(fval(a["last_value"]), -0.0)
    r = client.series(proj, {"runs": ["r"], "path": "m", "step_range": [10, 40], "buckets": 1})
    b = r.json["series"][0]["buckets"]
    assert b["count"] in ([4], [3]) and b["nan_count"] == [1]
    assert fval(b["min"][0]) == -math.inf and fval(b["max"][0]) == math.inf
    assert math.isnan(fval(b["mean"][0]))  # inf + -inf
    assert same_float(fval(b["last"][0]), -0.0)


# ---------------------------------------------------------------- binary columns

def _col(text: str, code: str) -> list:
    import base64
    from array import array
    return array(code, base64.b64decode(text)).tolist()


def test_base64_encoding_matches_json(client, proj):
    client.create_run(proj, "r")
    vals = ["NaN", "Infinity", -0.0, 0.1, 1 / 3, 5e-324, -7.25] + [float(i) for i in range(93)]
    steps = list(range(-5, 95))
    ts = [1.7e9 + i * 0.125 for i in range(len(steps))]
    client.log(proj, "r", {"series": [{"path": "m", "steps": steps, "values": vals, "timestamps": ts},
                                      {"path": "t", "type": "string", "steps": [0, 1], "values": ["a", "é\n"]}]})
    body = {"runs": ["r"], "path": "m", "limit": 60}
    j = client.series(proj, body).json["series"][0]
    b = client.series(proj, dict(body, encoding="base64")).json["series"][0]
    assert set(b) == {"run_id", "type", "step_scale", "steps_b64", "values_b64", "timestamps_b64",
                      "next_after_step"}
    assert b["step_scale"] == 1 and _col(b["steps_b64"], "q") == j["steps"] == steps[:60]
    for g, e in zip(_col(b["values_b64"], "d"), [fval(v) for v in j["values"]]):
        assert same_float(g, e)
    assert _col(b["timestamps_b64"], "d") == pytest.approx(j["timestamps"], abs=1e-6)
    assert b["next_after_step"] == j["next_after_step"] == steps[59]
    # The next page, and a string series (its values stay JSON).
    nb = client.series(proj, dict(body, encoding="base64", after_step=b["next_after_step"])).json["series"][0]
    assert _col(nb["steps_b64"], "q") == steps[60:] and nb["next_after_step"] is None
    s = client.series(proj, {"runs": ["r"], "path": "t", "encoding": "base64"}).json["series"][0]
    assert s["values"] == ["a", "é\n"] and _col(s["steps_b64"], "q") == [0, 1]


def test_base64_encoding_fractional_steps_and_buckets(client, proj):
    client.create_run(proj, "r")
    client.log(proj, "r", {"series": [{"path": "m", "steps": [0, 0.5, "123456789012.000001"],
                                       "values": [1.0, 2.0, 3.0]}]})
    b = client.series(proj, {"runs": ["r"], "path": "m", "encoding": "base64"}).json["series"][0]
    assert b["step_scale"] == 1_000_000
    assert _col(b["steps_b64"], "q") == [0, 500_000, 123456789012000001]
    # Buckets are small: they stay JSON whatever the encoding.
    k = client.series(proj, {"runs": ["r"], "path": "m", "buckets": 2, "encoding": "base64",
                             "exact_buckets": True}).json["series"][0]
    assert k["buckets"]["count"] == [2, 1]
    r = client.series(proj, {"runs": ["r"], "path": "m", "encoding": "binary"}, expect=None)
    assert_error(r, 400, "invalid_argument")
    assert "encoding" in r.json["error"]["message"]
