#!/usr/bin/env python3
"""Writes the seed corpus of the `log_batch_binary` harness
(src/api/native/log_batch_binary_fuzz.cc) into fuzz/corpus/log_batch_binary/:
small binary log batches (docs/format/log-batch.md), valid ones covering every
step, timestamp and value kind, a JSON part and several series, and invalid
ones for each check of the decoder. Rerun after a format change:

    python3 fuzz/log_batch_binary_seeds.py
"""
from __future__ import annotations

import math
import struct
from pathlib import Path

OUT = Path(__file__).resolve().parent / "corpus" / "log_batch_binary"


def header(version: int = 1, reserved: bytes = b"\0\0\0") -> bytes:
    return b"SXLB" + struct.pack("<B", version) + reserved


def series(path: str, step_kind: int, ts_kind: int, value_kind: int, n: int,
           steps=None, ts=None, values=None, pad: int = 0) -> bytes:
    p = path.encode()
    out = struct.pack("<H", len(p)) + p + struct.pack("<BBBBI", step_kind, ts_kind, value_kind, pad, n)
    if step_kind in (1, 2):
        out += struct.pack(f"<{len(steps)}q", *steps)
    elif step_kind == 3:
        out += struct.pack("<qq", *steps)
    if ts_kind == 1:
        out += struct.pack(f"<{len(ts)}q", *ts)
    elif ts_kind == 2:
        out += struct.pack(f"<{len(ts)}d", *ts)
    elif ts_kind == 3:
        out += struct.pack("<qq", *ts)
    if value_kind == 1:
        out += struct.pack(f"<{len(values)}d", *values)
    elif value_kind == 2:
        out += struct.pack(f"<{len(values)}f", *values)
    return out


def body(parts: list[bytes], json: bytes = b"", **head) -> bytes:
    return header(**head) + struct.pack("<I", len(json)) + json + struct.pack("<I", len(parts)) + b"".join(parts)


T0 = 1_763_812_345_000_000  # µs


def steps_for(kind: int, n: int):
    return {1: list(range(n)), 2: [i * 500_000 for i in range(n)], 3: (10, 1)}[kind]


def ts_for(kind: int, n: int):
    return {0: None, 1: [T0 + i for i in range(n)], 2: [T0 / 1e6 + i * 0.25 for i in range(n)],
            3: (T0, 1000)}[kind]


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.iterdir():
        old.unlink()
    seeds: dict[str, bytes] = {}

    # Every combination of kinds, two points each.
    for sk in (1, 2, 3):
        for tk in (0, 1, 2, 3):
            for vk in (1, 2):
                n = 2
                seeds[f"kinds_{sk}{tk}{vk}"] = body(
                    [series("m", sk, tk, vk, n, steps_for(sk, n), ts_for(tk, n), [1.5, -0.25])])

    # The example of the spec: a JSON part and a float32 range series.
    seeds["spec_example"] = body([series("train/loss", 3, 0, 2, 3, (10, 1), None, [2.5, 2.25, 2.0])],
                                 json=b'{"configs":{}} ')
    # A JSON part with configs, tags, a string and a float series, then two binary series.
    seeds["json_and_two_series"] = body(
        [series("a", 1, 1, 1, 3, [2, 0, 2], [T0, T0 + 1, T0 + 2], [math.nan, math.inf, -0.0]),
         series("b", 2, 3, 2, 2, [2_500_000, 3_000_000], (T0, 0), [0.1, -2.5])],
        json=(b'{"configs":{"lr":0.001,"name":"x"},"add_tags":["t"],"state":"finished",'
              b'"series":[{"path":"text","type":"string","steps":[0],"values":["hi"]},'
              b'{"path":"j","steps":[0,1],"values":[1,"NaN"]}]}'))
    seeds["empty"] = body([])
    seeds["json_only"] = body([], json=b'{"configs":{"a":1}}')

    # Invalid: each check of the decoder, and some of the core's.
    seeds["bad_magic"] = b"SXLA" + body([])[4:]
    seeds["version_2"] = body([], version=2)
    seeds["reserved"] = body([], reserved=b"\0\1\0")
    seeds["truncated_values"] = body([series("m", 1, 0, 1, 2, [0, 1], None, [1.0])])
    seeds["trailing"] = body([series("m", 1, 0, 1, 1, [0], None, [1.0])]) + b"\0"
    seeds["unknown_step_kind"] = body([series("m", 9, 0, 1, 1, None, None, [1.0])])
    seeds["unknown_ts_kind"] = body([series("m", 1, 7, 1, 1, [0], None, [1.0])])
    seeds["unknown_value_kind"] = body([series("m", 1, 0, 3, 1, [0], None, None)])
    seeds["nonzero_pad"] = body([series("m", 1, 0, 1, 1, [0], None, [1.0], pad=1)])
    seeds["zero_points"] = body([series("m", 1, 0, 1, 0, [], None, [])])
    seeds["stride_0"] = body([series("m", 3, 0, 1, 2, (0, 0), None, [1.0, 2.0])])
    seeds["step_range_overflow"] = body([series("m", 3, 0, 1, 3, (0, 2**63 - 1), None, [1.0] * 3)])
    seeds["step_too_big"] = body([series("m", 1, 0, 1, 1, [9_000_000_000_000], None, [1.0])])
    seeds["micro_step_too_big"] = body([series("m", 2, 0, 1, 1, [2**63 - 1], None, [1.0])])
    seeds["ts_before_1970"] = body([series("m", 1, 1, 1, 1, [0], [-5], [1.0])])
    seeds["ts_nan_seconds"] = body([series("m", 1, 2, 1, 1, [0], [math.nan], [1.0])])
    seeds["ts_range_negative_stride"] = body([series("m", 1, 3, 1, 2, [0, 1], (0, -1), [1.0, 2.0])])
    seeds["bad_path"] = body([series("a//b", 1, 0, 1, 1, [0], None, [1.0])])
    seeds["bad_json"] = body([series("m", 1, 0, 1, 1, [0], None, [1.0])], json=b'{"configs":')
    seeds["json_two_then_bad"] = body(
        [series("m", 9, 0, 1, 1, None, None, [1.0])],
        json=b'{"series":[{"path":"x","steps":[0],"values":[1]},{"path":"y","steps":[0],"values":[2]}]}')
    seeds["same_path_twice"] = body([series("m", 1, 0, 1, 1, [0], None, [1.0]),
                                     series("m", 1, 0, 1, 1, [1], None, [2.0])])

    # Regressions: a step range (16 bytes) with no timestamps costs nothing
    # in the body, so a 43-byte body can declare 2^32 - 1 points. It must be
    # refused (its values column is missing) without first building steps
    # and timestamps columns of 8 bytes a point (over HTTP: a 500 from
    # std::bad_alloc, or gigabytes and seconds before the 400). The second
    # is the input the fuzzer found: the spec's example with its series
    # count and point count mutated.
    seeds["regress_range_steps_4g_points"] = body(
        [series("m", 3, 0, 1, 0xFFFF_FFFF, (0, 1), None, [])])
    example = body([series("train/loss", 3, 0, 2, 0xAE00_0003, (10, 1), None, [2.5, 2.25, 2.0])],
                   json=b'{"configs":{}} ')
    seeds["regress_range_steps_fuzzed"] = example[:27] + struct.pack("<I", 0x1_0000) + example[31:]

    for name, data in sorted(seeds.items()):
        (OUT / name).write_bytes(data)
    print(f"{len(seeds)} seeds in {OUT}")


if __name__ == "__main__":
    main()
