"""A small, deterministic mutation fuzzer for dicomcore's readers and decoders.

    python3 tools/fuzz.py --seconds 300 --target read --seed 1

Targets: ``read`` (dcmread with and without force, ``str(ds)``, every value,
``save_as``), ``pixels`` (dcmread + ``pixel_array``) and ``rle``, ``jpegls``,
``jpeg2000``, ``htj2k`` (``decode_frame``; htj2k alternates between the
OpenJPEG and OpenJPH decoders). Seeds are the real test files
(``tests/datafiles.py``), frames taken from them, and frames made with
dicomcore's own encoders.

Every case runs in a worker subprocess with a memory limit, so a crash, an
abort, a hang or a giant allocation kills or stalls only the worker: the
parent notices, saves the input under ``--out`` and starts a new worker.
Python exceptions are the expected outcome of bad input, except those that
point at a bug: MemoryError (an allocation sized by an untrusted field),
RecursionError, SystemError, TypeError (the arguments are fixed, so bad data
reached code that did not check it) and any exception with an empty message.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import select
import signal
import struct
import subprocess
import sys
import time
import warnings
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CODEC_TARGETS = ("rle", "jpegls", "jpeg2000", "htj2k")
TARGETS = ("read", "pixels", *CODEC_TARGETS)
MEMORY_LIMIT = 4 << 30
CASE_TIMEOUT = 5.0
# Worker restarts cost an import of numpy and dicomcore; a few thousand cases
# per worker keep that small while bounding any slow leak.
CASES_PER_WORKER = 2000
BAD_EXCEPTIONS = ("MemoryError", "RecursionError", "SystemError")
INTERESTING_8 = (0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE)
INTERESTING_16 = (0x0000, 0xFFFF, 0x7FFF, 0x8000, 0x0001, 0xFFFE)
INTERESTING_32 = (0x00000000, 0xFFFFFFFF, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFE, 0x00010000)
TRANSFER_SYNTAX_OF = {
    "rle": ("1.2.840.10008.1.2.5",),
    "jpegls": ("1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.81"),
    "jpeg2000": ("1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.91"),
    "htj2k": ("1.2.840.10008.1.2.4.201", "1.2.840.10008.1.2.4.202", "1.2.840.10008.1.2.4.203"),
}


# ---------------------------------------------------------------- worker side


def _touch(ds: Any, depth: int = 0) -> None:
    """Read every value, recursing into sequence items."""
    for elem in ds:
        value = elem.value
        if elem.VR == "SQ" and depth < 64:
            for item in value:
                _touch(item, depth + 1)


def _run_read(data: bytes, params: dict[str, Any]) -> list[BaseException]:
    import io

    import dicomcore

    errors: list[BaseException] = []
    for force in (False, True):
        try:
            ds = dicomcore.dcmread(io.BytesIO(data), force=force)
        except Exception as exc:  # noqa: BLE001 - any exception is a valid verdict
            errors.append(exc)
            continue
        for step in (str, _touch, lambda d: d.save_as(io.BytesIO())):
            try:
                step(ds)
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
    return errors


def _run_pixels(data: bytes, params: dict[str, Any]) -> list[BaseException]:
    import io

    import dicomcore

    try:
        ds = dicomcore.dcmread(io.BytesIO(data), force=True)
        ds.pixel_array  # noqa: B018 - decoding is the point
    except Exception as exc:  # noqa: BLE001
        return [exc]
    return []


def _run_codec(target: str, data: bytes, params: dict[str, Any]) -> list[BaseException]:
    import importlib

    module = importlib.import_module(f"dicomcore.codecs.{target}")
    try:
        module.decode_frame(data, **params)
    except Exception as exc:  # noqa: BLE001
        return [exc]
    return []


def _verdict(errors: list[BaseException]) -> dict[str, Any]:
    """The first error that is a finding, else a summary of the ordinary ones."""
    for exc in errors:
        name = type(exc).__name__
        if isinstance(exc, (MemoryError, RecursionError, SystemError, TypeError)) or not str(
            exc
        ).strip():
            return {"status": "finding", "type": name, "message": repr(exc)[:500]}
    return {"status": "ok", "types": sorted({type(e).__name__ for e in errors})}


def worker(target: str) -> None:
    """Read ``<json header line><data>`` cases from stdin, answer one JSON line each."""
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    warnings.simplefilter("ignore")
    sys.setrecursionlimit(3000)
    import dicomcore  # noqa: F401 - import before the first case is timed
    import dicomcore.codecs.htj2k  # noqa: F401

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        line = stdin.readline()
        if not line:
            return
        header = json.loads(line)
        data = stdin.read(header["size"])
        params = header["params"]
        if target == "read":
            errors = _run_read(data, params)
        elif target == "pixels":
            errors = _run_pixels(data, params)
        else:
            errors = _run_codec(target, data, params)
        stdout.write(json.dumps(_verdict(errors)).encode() + b"\n")
        stdout.flush()


class Worker:
    """One worker subprocess; ``run`` returns its verdict, or a crash/hang verdict."""

    def __init__(self, target: str) -> None:
        self.target = target
        self.proc: subprocess.Popen[bytes] | None = None
        self.cases = 0

    def _start(self) -> subprocess.Popen[bytes]:
        env = dict(os.environ, OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "--worker", self.target],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
        )
        # Wait for the imports so they are not counted against the first case.
        self._send(b"garbage", {} if self.target in ("read", "pixels") else {"rows": 1, "columns": 1})
        self._answer(60.0)
        self.cases = 0
        return self.proc

    def _send(self, data: bytes, params: dict[str, Any]) -> None:
        assert self.proc is not None and self.proc.stdin is not None
        header = json.dumps({"size": len(data), "params": params}).encode() + b"\n"
        self.proc.stdin.write(header + data)
        self.proc.stdin.flush()

    def _answer(self, timeout: float) -> dict[str, Any] | None:
        assert self.proc is not None and self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], timeout)
        if not ready:
            return None
        line = self.proc.stdout.readline()
        return json.loads(line) if line else {"status": "eof"}

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def run(self, data: bytes, params: dict[str, Any]) -> dict[str, Any]:
        if self.proc is None or self.cases >= CASES_PER_WORKER:
            self.stop()
            self._start()
        self.cases += 1
        try:
            self._send(data, params)
        except BrokenPipeError:
            pass
        answer = self._answer(CASE_TIMEOUT)
        if answer is None:
            self.stop()
            return {"status": "finding", "type": "hang", "message": f"over {CASE_TIMEOUT} s"}
        if answer["status"] == "eof":
            assert self.proc is not None
            code = self.proc.wait()
            self.proc = None
            name = signal.Signals(-code).name if code < 0 else f"exit {code}"
            return {"status": "finding", "type": "crash", "message": name}
        return answer


# ---------------------------------------------------------------- seeds


def _header_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of length fields: real top-level headers plus item headers."""
    import dicomcore

    fields: list[tuple[int, int]] = []
    try:
        ds = dicomcore.dcmread(data, force=True)
    except Exception:  # noqa: BLE001 - some seeds are not DICOM at all
        ds = None
    for dataset in (ds, getattr(ds, "file_meta", None)):
        index = getattr(dataset, "_index", None) if dataset is not None else None
        if index is None or len(index.buffer) != len(data):
            continue
        for i in range(len(index)):
            _, vr, _, value_offset, _, header_offset, _, _ = index.record(i)
            if vr is None:
                fields.append((header_offset + 4, 4))
            elif value_offset - header_offset == 8:
                fields.append((header_offset + 6, 2))
            else:
                fields.append((header_offset + 8, 4))
    # Items and delimiters inside sequences and encapsulated Pixel Data.
    for marker in (b"\xfe\xff\x00\xe0", b"\xfe\xff\x0d\xe0", b"\xfe\xff\xdd\xe0"):
        start = data.find(marker)
        while start >= 0 and len(fields) < 5000:
            fields.append((start + 4, 4))
            start = data.find(marker, start + 1)
    return [f for f in fields if f[0] + f[1] <= len(data)]


def _marker_fields(data: bytes) -> list[tuple[int, int]]:
    """(offset, 2) of JPEG / JPEG 2000 marker segment lengths and RLE header words."""
    fields = [(i + 2, 2) for i in range(len(data) - 3) if data[i] == 0xFF and data[i + 1] >= 0x4F]
    return fields[:2000] + [(i, 4) for i in range(0, min(64, len(data)), 4)]


def _synthetic_frames(target: str) -> list[tuple[bytes, dict[str, Any]]]:
    import numpy as np

    from dicomcore.codecs import htj2k, jpeg2000, jpegls, rle

    rng = np.random.default_rng(0)
    arrays = []
    for shape, dtype, bits in (
        ((16, 16), np.uint8, 8),
        ((32, 24), np.uint16, 12),
        ((20, 30, 3), np.uint8, 8),
        ((64, 64), np.int16, 16),
        ((7, 5), np.uint16, 16),
    ):
        ramp = np.indices(shape[:2]).sum(axis=0) * 3
        arr = ramp.reshape(shape[:2] + (1,) * (len(shape) - 2)) + rng.integers(0, 8, size=shape)
        info = np.iinfo(dtype)
        arr = np.clip(arr, max(info.min, -(1 << (bits - 1))), min(info.max, (1 << bits) - 1))
        arrays.append((arr.astype(dtype), bits))
    frames: list[tuple[bytes, dict[str, Any]]] = []
    for arr, bits in arrays:
        spp = 1 if arr.ndim == 2 else arr.shape[2]
        geometry = {
            "rows": arr.shape[0],
            "columns": arr.shape[1],
            "samples_per_pixel": spp,
            "bits_allocated": arr.dtype.itemsize * 8,
            "pixel_representation": int(arr.dtype.kind == "i"),
        }
        photometric = "RGB" if spp == 3 else "MONOCHROME2"
        common = {"bits_stored": bits, "photometric_interpretation": photometric}
        if target == "rle":
            frames.append((rle.encode_frame(arr, **common), geometry))
        elif target == "jpegls":
            frames.append((jpegls.encode_frame(arr, **common), {}))
            frames.append((jpegls.encode_frame(arr, lossy_error=2, **common), {}))
        elif target == "jpeg2000":
            frames.append((jpeg2000.encode_frame(arr, **common), {}))
            lossy = jpeg2000.JPEG2000 if hasattr(jpeg2000, "JPEG2000") else "1.2.840.10008.1.2.4.91"
            frames.append(
                (jpeg2000.encode_frame(arr, transfer_syntax_uid=lossy, j2k_cr=[10], **common), {})
            )
            frames.append((jpeg2000.encode_frame(arr, progression="RPCL", tlm=True, **common), {}))
        elif target == "htj2k":
            frames.append((htj2k.encode_frame(arr, **common), {}))
            frames.append(
                (htj2k.encode_frame(arr, transfer_syntax_uid=htj2k.HTJ2K_LOSSLESS_RPCL, **common), {})
            )
            frames.append(
                (htj2k.encode_frame(arr, code_block_size=(16, 16), **common), {})
            )
    return frames


def _file_frames(target: str, paths: list[Path]) -> list[tuple[bytes, dict[str, Any]]]:
    """Up to two small frames from each real file in one of ``target``'s syntaxes."""
    import dicomcore
    from dicomcore import encaps

    frames: list[tuple[bytes, dict[str, Any]]] = []
    for path in paths:
        try:
            ds = dicomcore.dcmread(path, force=True)
            if str(ds.file_meta.TransferSyntaxUID) not in TRANSFER_SYNTAX_OF[target]:
                continue
            count = int(getattr(ds, "NumberOfFrames", 1) or 1)
            geometry = {
                "rows": int(ds.Rows),
                "columns": int(ds.Columns),
                "samples_per_pixel": int(ds.SamplesPerPixel),
                "bits_allocated": int(ds.BitsAllocated),
                "pixel_representation": int(ds.PixelRepresentation),
            }
            for i, frame in enumerate(encaps.generate_frames(ds.PixelData, number_of_frames=count)):
                if i >= 2 or len(frame) > 256 * 1024:
                    break
                frames.append((bytes(frame), geometry if target == "rle" else {}))
        except Exception:  # noqa: BLE001 - damaged test files are skipped as seeds
            continue
    return frames


def seeds(target: str, max_size: int) -> list[tuple[bytes, dict[str, Any], list[tuple[int, int]]]]:
    """(data, decode parameters, length fields) for every seed of ``target``."""
    sys.path.insert(0, str(ROOT / "tests"))
    import datafiles

    paths = [p for p in datafiles.all_files() if p.stat().st_size <= max_size]
    result = []
    if target in ("read", "pixels"):
        for path in paths:
            data = path.read_bytes()
            if target == "pixels" and b"\xe0\x7f\x10\x00" not in data:
                continue
            result.append((data, {}, _header_fields(data)))
    else:
        for data, params in _synthetic_frames(target) + _file_frames(target, paths):
            result.append((data, params, _marker_fields(data)))
    return result


# ---------------------------------------------------------------- mutations


def mutate(rng: random.Random, data: bytes, fields: list[tuple[int, int]], focus: int) -> bytes:
    """One to four random edits; half of them aimed at ``focus`` onwards (the pixel data)."""
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        if not buf:
            buf = bytearray(b"\x00")
        low = focus if focus < len(buf) and rng.random() < 0.5 else 0
        pos = rng.randrange(low, len(buf))
        kind = rng.randrange(8)
        if kind == 0:
            buf[pos] ^= 1 << rng.randrange(8)
        elif kind == 1:
            buf[pos] = rng.choice(INTERESTING_8)
        elif kind == 2 and pos + 4 <= len(buf):
            buf[pos : pos + 4] = struct.pack("<I", rng.choice(INTERESTING_32))
        elif kind == 3:
            del buf[rng.randrange(low, len(buf) + 1) :]
        elif kind == 4:
            size = rng.randint(1, 64)
            buf[pos:pos] = buf[pos : pos + size]
        elif kind == 5:
            del buf[pos : pos + rng.randint(1, 64)]
        elif fields:
            offset, size = rng.choice(fields)
            if offset + size > len(buf):
                continue
            old = int.from_bytes(buf[offset : offset + size], "little" if size == 4 else "big")
            if size == 4 and rng.random() < 0.5:
                new = rng.choice(INTERESTING_32)
            elif size == 2 and rng.random() < 0.5:
                new = rng.choice(INTERESTING_16)
            else:
                new = max(0, old + rng.choice((-2, -1, 1, 2, 8, -8, 256, -256)))
            new &= (1 << (8 * size)) - 1
            buf[offset : offset + size] = new.to_bytes(size, "little" if size == 4 else "big")
    return bytes(buf)


# ---------------------------------------------------------------- driver


def fuzz(target: str, seconds: float, seed: int, out: Path, max_size: int) -> int:
    corpus = seeds(target, max_size)
    print(f"{target}: {len(corpus)} seeds", flush=True)
    rng = random.Random(seed)
    runner = Worker(target)
    counts: Counter[str] = Counter()
    findings: dict[str, Path] = {}
    cases = 0
    deadline = time.monotonic() + seconds
    try:
        while time.monotonic() < deadline:
            data, params, fields = rng.choice(corpus)
            focus = data.rfind(b"\xe0\x7f\x10\x00") if target == "pixels" else 0
            case_params = dict(params)
            if target == "htj2k":
                case_params["decoder"] = rng.choice(("openjpeg", "openjph"))
            mutated = mutate(rng, data, fields, max(focus, 0))
            verdict = runner.run(mutated, case_params)
            cases += 1
            for name in verdict.get("types", ()):
                counts[name] += 1
            if verdict["status"] != "finding":
                continue
            counts[verdict["type"]] += 1
            digest = hashlib.sha1(mutated).hexdigest()[:12]
            folder = out / target
            folder.mkdir(parents=True, exist_ok=True)
            path = folder / f"{verdict['type']}-{digest}.bin"
            path.write_bytes(mutated)
            path.with_suffix(".json").write_text(json.dumps({"params": case_params, **verdict}))
            findings[digest] = path
            print(f"  FINDING {verdict['type']}: {verdict['message']} -> {path}", flush=True)
    finally:
        runner.stop()
    print(f"{target}: {cases} cases in {seconds:.0f} s, {len(findings)} findings")
    for name, count in counts.most_common():
        print(f"  {name}: {count}")
    return len(findings)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--target", choices=TARGETS, default="read")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("/tmp/dicomcore-fuzz"))
    parser.add_argument("--max-size", type=int, default=1 << 20, help="largest seed file, bytes")
    parser.add_argument("--worker", choices=TARGETS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    # Damaged seed files warn as they are read; the summary is what matters.
    warnings.simplefilter("ignore")
    if args.worker:
        worker(args.worker)
        return 0
    return 1 if fuzz(args.target, args.seconds, args.seed, args.out, args.max_size) else 0


if __name__ == "__main__":
    sys.exit(main())
