#!/usr/bin/env python3
"""File upload and download throughput through the server's HTTP API, with
the files in the data folder and in an S3-compatible store (MinIO started by
scripts/minio.sh, on the same machine). For each store: one large file up and
down (streamed, checksum verified), then K files uploaded by K clients at
once, then a second upload of existing content (dedup: no copy).

    python3 bench/files_bench.py [--server build/src/sextant] [--mib 256] [--parallel 4]"""
from __future__ import annotations

import argparse
import hashlib
import http.client
import os
import shlex
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PROJECT = "bench/files"
MiB = 1 << 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, body: bytes = b"") -> bytes:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request(method, "/api/v1" + path, body=body or None, headers={"Content-Type": "application/json"})
    r = c.getresponse()
    out = r.read()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: {r.status} {out[:300]!r}")
    return out


def put_stream(port: int, path: str, blocks: list[bytes], digest: str) -> None:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.putrequest("PUT", "/api/v1" + path)
    c.putheader("Content-Length", str(sum(map(len, blocks))))
    c.putheader("X-Sextant-SHA256", digest)
    c.endheaders()
    for b in blocks:
        c.send(b)
    r = c.getresponse()
    body = r.read()
    if r.status != 200:
        raise RuntimeError(f"PUT {path}: {r.status} {body[:300]!r}")


def get_stream(port: int, path: str) -> int:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request("GET", "/api/v1" + path)
    r = c.getresponse()
    n = 0
    while chunk := r.read(4 * MiB):
        n += len(chunk)
    if r.status != 200:
        raise RuntimeError(f"GET {path}: {r.status}")
    return n


def blocks_of(mib: int, seed: int) -> tuple[list[bytes], str]:
    h = hashlib.sha256()
    blocks = []
    for i in range(mib):
        b = hashlib.sha256(f"{seed}-{i}".encode()).digest() * (MiB // 32)
        blocks.append(b)
        h.update(b)
    return blocks, h.hexdigest()


def run_store(server: str, label: str, files_args: list[str], mib: int, parallel: int) -> dict:
    with tempfile.TemporaryDirectory() as d:
        port = free_port()
        proc = subprocess.Popen([server, "serve", "--data", d, "--port", str(port), *files_args],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            for _ in range(300):
                try:
                    request(port, "GET", "/health")
                    break
                except OSError:
                    time.sleep(0.05)
            request(port, "POST", f"/projects/{PROJECT}/runs", b'{"run_id": "r"}')
            blocks, digest = blocks_of(mib, 1)
            t = time.perf_counter()
            put_stream(port, f"/projects/{PROJECT}/runs/r/files/big.bin", blocks, digest)
            up = mib / (time.perf_counter() - t)
            t = time.perf_counter()
            n = get_stream(port, f"/projects/{PROJECT}/runs/r/files/big.bin")
            down = mib / (time.perf_counter() - t)
            assert n == mib * MiB
            t = time.perf_counter()
            put_stream(port, f"/projects/{PROJECT}/runs/r/files/again.bin", blocks, digest)
            dedup = mib / (time.perf_counter() - t)
            each = max(1, mib // parallel)
            inputs = [blocks_of(each, 100 + i) for i in range(parallel)]
            threads = [threading.Thread(target=put_stream,
                                        args=(port, f"/projects/{PROJECT}/runs/r/files/p{i}.bin", *inputs[i]))
                       for i in range(parallel)]
            t = time.perf_counter()
            for th in threads:
                th.start()
            for th in threads:
                th.join()
            par = each * parallel / (time.perf_counter() - t)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"store": label, "upload": up, "download": down, "dedup": dedup, "parallel": par}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", default=str(REPO / "build/src/sextant"))
    ap.add_argument("--mib", type=int, default=256)
    ap.add_argument("--parallel", type=int, default=4)
    a = ap.parse_args()
    results = [run_store(a.server, "data folder", [], a.mib, a.parallel)]
    with tempfile.TemporaryDirectory() as m:
        env_lines = subprocess.run([str(REPO / "scripts/minio.sh"), "start", m], check=True,
                                   capture_output=True, text=True).stdout
        for tok in shlex.split(env_lines.replace("\n", " ")):
            if "=" in tok and tok != "export":
                k, v = tok.split("=", 1)
                os.environ[k] = v
        try:
            results.append(run_store(a.server, "S3 (MinIO, loopback)",
                                     ["--files", os.environ["SEXTANT_TEST_S3"]], a.mib, a.parallel))
        finally:
            subprocess.run([str(REPO / "scripts/minio.sh"), "stop", m], check=False)
    print(f"{a.mib} MiB file; {a.parallel} parallel uploads of {a.mib // a.parallel} MiB; MiB/s")
    print(f"{'store':24} {'upload':>8} {'download':>9} {'re-upload':>10} {'parallel up':>12}")
    for r in results:
        print(f"{r['store']:24} {r['upload']:8.0f} {r['download']:9.0f} {r['dedup']:10.0f} {r['parallel']:12.0f}")


if __name__ == "__main__":
    main()
