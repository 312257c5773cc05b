"""Wrong values raise a ValidationError at the call site, before anything
is queued; numpy/torch-like scalars are accepted by duck typing."""
from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

import pytest

import sextant
from sextant import _validate as V


class FakeTensor:
    """A 0-d tensor as torch has it: .item() and __float__."""

    def __init__(self, v):
        self.v = v

    def item(self):
        return self.v

    def __float__(self):
        return float(self.v)


class FakeVector:
    shape = (3,)

    def item(self):
        raise ValueError("only one element tensors can be converted to Python scalars")


class OnlyFloat:
    def __float__(self):
        return 2.5


class TinyFloat:
    def __float__(self):
        return 5e-7


@pytest.fixture
def run(journal):
    r = sextant.Run(project="py/values", mode="disabled")
    yield r
    r.close()


@pytest.mark.parametrize("value", ["1.5", None, [1.0], {"a": 1}, 1 + 2j, b"x", FakeVector(), object()])
def test_bad_metric_values_raise(run, value):
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"m": value}, step=0)
    assert len(run._q) == 0


@pytest.mark.parametrize("path", ["", "/a", "a/", "a//b", "a\nb", "sys/x", "x" * 1025, "\ud800", 5, None])
def test_bad_paths_raise(run, path):
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({path: 1.0}, step=0)
    assert len(run._q) == 0


@pytest.mark.parametrize("step", [math.nan, math.inf, 9e12, -9e12, 10**13, True, "3", None.__class__])
def test_bad_steps_raise(run, step):
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"m": 1.0}, step=step)
    assert len(run._q) == 0


@pytest.mark.parametrize("step", [1e-7, 0.1234567, -0.1234567, 1.0000001, 2.5e-7, 1e-300,
                                  FakeTensor(1e-7), TinyFloat()])
def test_steps_with_more_than_six_fractional_digits_raise(run, step):
    with pytest.raises(sextant.ValidationError, match="fractional digits"):
        run.log_metrics({"m": 1.0}, step=step)
    with pytest.raises(sextant.ValidationError, match="fractional digits"):
        run.log_string_series({"s": "x"}, step=step)
    assert len(run._q) == 0


@pytest.mark.parametrize("step, sent", [
    (0.1 + 0.2, 0.3),                   # 0.30000000000000004
    (sum([0.1] * 10), 1),               # 0.9999999999999999: a whole number
    (sum([0.1] * 1000), 100),
    (3 * 1.1, 3.3),                     # 3.3000000000000003
    (1e-6, 1e-6),
    (0.000005, 0.000005),
    (-2.675, -2.675),
    (123456.123456, 123456.123456),
    (FakeTensor(0.1 + 0.2), 0.3),
])
def test_float_steps_snap_to_six_digits(run, step, sent):
    run.log_metrics({"m": 1.0}, step=step)
    got = run._q[-1][1]
    assert got == sent and type(got) is type(sent)
    if isinstance(got, float):  # JSON carries repr(got): the six-digit decimal itself
        assert Decimal(repr(got)) == Decimal(repr(sent))
        assert V._fraction_digits(got) <= 6
        assert Decimal(V.step_text(got)) == Decimal(repr(sent))


def test_step_text_is_plain_decimal():
    st = V.step_text
    assert [st(5e-05), st(0.3), st(12), st(-1e-6), st(8999999999999.5)] == \
        ["0.00005", "0.3", "12", "-0.000001", "8999999999999.5"]


def test_auto_steps_after_a_float_step_stay_six_digit(run):
    run.log_metrics({"m": 1.0}, step=0.1 + 0.2)
    run.log_metrics({"m": 1.0})
    run.log_string_series({"s": "x"})
    assert [op[1] for op in run._q if op[0] == 0] == [0.3, 1.3]
    assert run._next_step == 3.3


def test_bad_timestamps_raise(run):
    for ts in (-1, math.nan, 2e13, "now", 253402300800, 253402300799.5):
        with pytest.raises(sextant.ValidationError):
            run.log_metrics({"m": 1.0}, step=0, timestamp=ts)
    run.log_metrics({"m": 1.0}, step=0, timestamp=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
    run.log_metrics({"m": 1.0}, step=1, timestamp=253402300799)  # the last second of year 9999
    run.log_metrics({"m": 1.0}, step=2, timestamp=0)


def test_fast_path_falls_back_to_validation(run):
    run.log_metrics({"a": 1.0, "b": 2.0}, step=0)          # caches the key set
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"a": 1.0, "b": "oops"}, step=1)    # same keys, bad value
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"a": 1.0, "b": None}, step=1)
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"a": 1.0, "b": [1.0, 2.0]}, step=1)


def test_duck_typed_scalars(run):
    run.log_metrics({"t": FakeTensor(1.5), "i": FakeTensor(3), "f": OnlyFloat(), "b": True,
                     "big": 10**30}, step=FakeTensor(7))
    op = run._q[-1]
    assert op[1] == 7
    assert dict(zip(op[3], op[4])) == {"t": 1.5, "i": 3.0, "f": 2.5, "b": 1.0, "big": 1e30}


def test_type_conflicts_raise(run):
    run.log_metrics({"x": 1.0}, step=0)
    with pytest.raises(sextant.TypeConflictError):
        run.log_string_series({"x": "a"}, step=1)
    run.log_configs({"c": 1})
    with pytest.raises(sextant.TypeConflictError):
        run.log_configs({"c": "text"})
    run.log_configs({"lr": 0.5})
    run.log_configs({"lr": 1})  # an int after a float stays a float
    assert run._q[-1][1] == {"lr": 1.0}


def test_a_config_logged_again_as_a_metric_says_what_to_do(run_factory, client, proj):
    # It used to say "was logged as float ... cannot become float_series",
    # with a KeyError chained under it from the fast path's cache miss.
    run = run_factory()
    run.log_configs({"lr": 3e-4})
    with pytest.raises(sextant.TypeConflictError) as info:
        run.log_metrics({"lr": 3e-4}, step=0)
    e = info.value
    msg = str(e)
    assert "'lr' is already a float config" in msg and "a metric (float series)" in msg
    assert "another path, e.g. 'metrics/lr'" in msg
    assert e.__cause__ is None and e.__context__ is None
    assert (e.path, e.existing, e.attempted) == ("lr", "float", "float_series")
    run.log_metrics({"metrics/lr": 3e-4}, step=0)  # the suggested fix works
    assert run.close(timeout=30)
    attrs = client.attributes(proj, run.run_id)
    assert attrs["lr"]["type"] == "float" and attrs["metrics/lr"]["type"] == "float_series"


def test_every_type_conflict_names_both_types():
    for existing, attempted, words in [
            ("float_series", "int", ("a metric (float series)", "an int config", "'config/x'")),
            ("string", "string_series", ("a string config", "a string series", "'text/x'")),
            ("file", "histogram_series", ("a file", "a histogram series", "'histograms/x'"))]:
        msg = str(sextant.TypeConflictError("x", existing, attempted))
        assert all(w in msg for w in words), msg
    import pickle
    e = pickle.loads(pickle.dumps(sextant.TypeConflictError("x", "float", "float_series")))
    assert e.attempted == "float_series" and "'x' is already a float config" in str(e)


def test_string_sets_hold_at_most_ten_thousand_items(run):
    run.log_configs({"ok": {f"s{i}" for i in range(10_000)}})
    with pytest.raises(sextant.ValidationError, match="at most 10,000"):
        run.log_configs({"big": {f"s{i}" for i in range(10_001)}})


def test_bad_configs_raise(run):
    for bad in ({"x": object()}, {"x": 2**64}, {"x": {1, 2}}, {"sys/state": "x"}, {3: 1}, ["a"]):
        with pytest.raises(sextant.ValidationError):
            run.log_configs(bad)
    run.log_configs({"sys/name": "renamed", "sys/description": "text"})


def test_bad_strings_histograms_tags_files(run, tmp_path):
    with pytest.raises(sextant.ValidationError):
        run.log_string_series({"s": 1}, step=0)
    with pytest.raises(sextant.ValidationError):
        run.log_string_series({"s": "x" * (1 << 20) + "y"}, step=0)
    with pytest.raises(sextant.ValidationError):
        run.log_histograms({"h": [1, 2]}, step=0)
    for edges, counts in (([0, 1], [1, 2]), ([1, 0], [1]), ([0, math.inf], [1]), ([0, 1], [-1]),
                          ([0, 1], [math.nan]), ([], [])):
        with pytest.raises(sextant.ValidationError):
            sextant.Histogram(bin_edges=edges, counts=counts)
    for bad in ([""], ["x" * 1025], [1], None):
        with pytest.raises(sextant.ValidationError):
            run.add_tags(bad)
    with pytest.raises(sextant.ValidationError):
        run.assign_files({"f": str(tmp_path / "missing.txt")})
    with pytest.raises(sextant.ValidationError):
        run.log_files({"f": 42}, step=0)
    assert len(run._q) == 0


def test_constructor_arguments_are_checked(journal):
    for kw in (dict(project=None), dict(project="noslash"), dict(project="a/b/c"),
               dict(project="a/b", run_id="bad id"), dict(project="a/b", mode="sometimes"),
               dict(project="a/b", fork_run_id="r0"), dict(project="a/b", url="ftp://x"),
               dict(project="a/b", flush_interval=0)):
        with pytest.raises(sextant.ValidationError):
            sextant.Run(mode=kw.pop("mode", "disabled"), **kw)


def test_fork_steps_must_be_greater(journal):
    r = sextant.Run(project="py/v", mode="disabled", fork_run_id="parent", fork_step=10)
    with pytest.raises(sextant.ValidationError):
        r.log_metrics({"m": 1.0}, step=10)
    r.log_metrics({"m": 1.0}, step=11)
    r.close()


def test_closed_run_refuses(journal):
    r = sextant.Run(project="py/v", mode="disabled")
    r.close()
    with pytest.raises(sextant.RunClosedError):
        r.log_metrics({"m": 1.0}, step=0)
    with pytest.raises(sextant.RunClosedError):
        r.log_configs({"a": 1})


def test_auto_steps(run):
    run.log_metrics({"m": 1.0})
    run.log_metrics({"m": 1.0})
    run.log_metrics({"m": 1.0}, step=10)
    run.log_metrics({"m": 1.0})
    assert [op[1] for op in run._q] == [0, 1, 10, 11]


# --------------------------------------------------------------------------
# numpy, when it is installed

def test_numpy_scalars_and_arrays(run):
    np = pytest.importorskip("numpy")
    run.log_metrics({"f32": np.float32(0.5), "f64": np.float64(0.25), "i64": np.int64(3),
                     "zero_d": np.array(1.5), "b": np.bool_(True)}, step=np.int64(4))
    op = run._q[-1]
    assert op[1] == 4 and type(op[1]) is int
    assert dict(zip(op[3], op[4])) == {"f32": 0.5, "f64": 0.25, "i64": 3.0, "zero_d": 1.5, "b": 1.0}
    assert all(type(v) is float for v in op[4])
    with pytest.raises(sextant.ValidationError):
        run.log_metrics({"vec": np.array([1.0, 2.0])}, step=5)
    counts, edges = np.histogram(np.arange(100.0), bins=8)
    h = sextant.Histogram(bin_edges=edges, counts=counts)
    assert len(h.bin_edges) == 9 and sum(h.counts) == 100
    run.log_configs({"np_int": np.int32(7), "np_float": np.float32(0.5), "arr": [np.float64(1.0)]})
    assert run._q[-1][1] == {"np_int": 7, "np_float": 0.5, "arr": "[1.0]"}
