"""Shared helpers for the binding's tests.

CTest sets HEADROOM_LIB (the library just built), HR_FIXTURES, HR_BUILD_DIR,
HR_SOURCE_DIR, HEADROOM (the CLI) and PYTHONPATH. Run by hand from the repo:
    HEADROOM_LIB=build/libheadroom.so.0 HR_BUILD_DIR=build PYTHONPATH=python/src \\
        /usr/bin/python3 -m unittest discover -s python/tests -v
"""

import contextlib
import os
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

SOURCE_DIR = Path(os.environ.get("HR_SOURCE_DIR") or Path(__file__).resolve().parents[2])
FIXTURES = Path(os.environ.get("HR_FIXTURES") or SOURCE_DIR / "tests" / "fixtures")
BUILD_DIR = Path(os.environ.get("HR_BUILD_DIR") or SOURCE_DIR / "build")
FAKE_NVML = BUILD_DIR / "tests" / "fakes" / "libnvidia-ml.so.1"
NO_NVML = str(BUILD_DIR / "no-such-libnvidia-ml.so.1")
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable

if str(SOURCE_DIR / "python" / "src") not in sys.path:
    sys.path.insert(0, str(SOURCE_DIR / "python" / "src"))

import headroom  # noqa: E402
import headroom._thermal as thermal  # noqa: E402


__all__ = ["headroom", "thermal", "FakeClock", "fixture", "linux_fixtures", "cli", "child_env",
           "run_python", "environ", "tempdir", "need_fake_nvml"]


def fixture(rel):
    return str(FIXTURES / rel)


def linux_fixtures():
    return sorted(p.name for p in (FIXTURES / "linux").iterdir() if p.is_dir())


def cli():
    """The headroom CLI (HEADROOM, else the build dir's), or None."""
    path = os.environ.get("HEADROOM") or str(BUILD_DIR / "headroom")
    return path if os.access(path, os.X_OK) else None


def child_env(**extra):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(SOURCE_DIR / "python" / "src")] + [p for p in [env.get("PYTHONPATH")] if p])
    env.update({k: v for k, v in extra.items() if v is not None})
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
    return env


def run_python(code, timeout=60, **env):
    """Runs CODE in a fresh /usr/bin/python3; returns the CompletedProcess."""
    return subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=timeout,
                          env=child_env(**env))


@contextlib.contextmanager
def environ(**values):
    """Sets (or, with None, removes) environment variables for a block."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


class FakeClock:
    """Replaces the governor-facing clock and sleep of headroom._thermal, and
    time.time for code that measures with it, so that hours pass at once."""

    def __init__(self, start_s=1000.0):
        self.t_ns = int(start_s * 1e9)
        self.slept = []

    def now_ns(self):
        return self.t_ns

    def time(self):
        return self.t_ns / 1e9

    def advance(self, seconds):
        self.t_ns += int(round(seconds * 1e9))

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.advance(seconds)

    def __enter__(self):
        import time

        self._saved = (thermal._now_ns, thermal._sleep, time.time)
        thermal._now_ns = self.now_ns
        thermal._sleep = self.sleep
        time.time = self.time
        return self

    def __exit__(self, *exc):
        import time

        thermal._now_ns, thermal._sleep, time.time = self._saved


def tempdir(test):
    d = tempfile.TemporaryDirectory(prefix="headroom-py-")
    test.addCleanup(d.cleanup)
    return Path(d.name)


def need_fake_nvml(test):
    if not FAKE_NVML.exists():
        raise unittest.SkipTest("fake NVML not built at %s" % FAKE_NVML)
