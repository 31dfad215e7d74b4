"""headroom.step(): the step-channel line format, a pipe, fallbacks, and a
step written under a real run (the library's hr_run, and `headroom run`
when the CLI has it)."""

import json
import os
import socket
import subprocess
import unittest
import warnings

import support
from support import headroom

from headroom import _step

JOB = ("import headroom\n"
       "for i in range(3):\n"
       "    print('working', i)\n"
       "    headroom.step(i, units=25, loss=1.0 / (i + 1), grad_norm=1.5 * i)\n"
       "headroom.step(3, units=1, loss=float('nan'))\n")


class LineFormat(unittest.TestCase):
    def test_format(self):
        self.assertEqual(headroom.format_step_line(12, 25, loss=0.31, grad_norm=1.2),
                         "step=12 units=25.0 loss=0.31 grad_norm=1.2\n")
        self.assertEqual(headroom.format_step_line(0), "step=0 units=1.0\n")
        self.assertEqual(headroom.format_step_line(1, lr=1e-05), "step=1 units=1.0 lr=1e-05\n")
        self.assertEqual(headroom.format_step_line(1, loss=float("nan")),
                         "step=1 units=1.0 loss=nan\n")

    def test_infinity_becomes_unknown(self):
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            _step._warned.discard("inf")
            line = headroom.format_step_line(2, loss=float("inf"))
        self.assertEqual(line, "step=2 units=1.0 loss=nan\n")
        self.assertTrue(any("infinite" in str(x.message) for x in w))

    def test_refused_like_the_runner_refuses(self):
        for args, kw in (((-1,), {}), ((1.5,), {}), ((True,), {}), ((1, -2), {}),
                         ((1, float("inf")), {}), ((1,), {"9bad": 1}), ((1,), {"a b": 1}),
                         ((1,), {"x" * 48: 1}), ((1,), {"dt": -1})):
            with self.subTest(args=args, kw=kw), self.assertRaises(ValueError):
                headroom.format_step_line(*args, **kw)
        with self.assertRaises(ValueError):
            headroom.format_step_line(1, **{"v%d" % i: i for i in range(33)})
        with self.assertRaises(TypeError):
            headroom.format_step_line(1, step=2)  # reserved: a Python-level clash


class Channel(unittest.TestCase):
    def setUp(self):
        _step._dead.clear()
        _step._warned.clear()
        _step._checked.clear()

    def test_writes_one_line_per_step_to_the_fd(self):
        r, w = os.pipe()
        self.addCleanup(os.close, r)
        try:
            with support.environ(HEADROOM_STEP_FD=str(w), HEADROOM_STEP_SOCKET=None):
                self.assertTrue(headroom.under_run())
                self.assertEqual(headroom.step(5, units=3, loss=0.25), "run")
                self.assertEqual(headroom.step(6), "run")
        finally:
            os.close(w)
        self.assertEqual(os.read(r, 4096), b"step=5 units=3.0 loss=0.25\nstep=6 units=1.0\n")

    def test_datagram_socket(self):
        d = support.tempdir(self)
        path = str(d / "steps.sock")
        server = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        server.bind(path)
        self.addCleanup(server.close)
        self.addCleanup(_step._close_socket)
        with support.environ(HEADROOM_STEP_FD=None, HEADROOM_STEP_SOCKET=path):
            self.assertEqual(headroom.step(7, units=2, loss=1.0), "run")
        self.assertEqual(server.recv(4096), b"step=7 units=2.0 loss=1.0\n")

    def test_closed_fd_falls_back_with_one_warning(self):
        w = 987654  # no such descriptor
        with support.environ(HEADROOM_STEP_FD=str(w), HEADROOM_STEP_SOCKET=None), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertIsNone(headroom.step(1))
            self.assertIsNone(headroom.step(2))
            self.assertFalse(headroom.under_run())
        texts = [str(x.message) for x in caught]
        self.assertEqual(sum("HEADROOM_STEP_FD" in t for t in texts), 1)
        self.assertEqual(sum("outside `headroom run`" in t for t in texts), 1)

    def test_a_descriptor_that_is_not_a_pipe_is_never_written(self):
        path = support.tempdir(self) / "victim.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
        self.addCleanup(os.close, fd)
        with support.environ(HEADROOM_STEP_FD=str(fd), HEADROOM_STEP_SOCKET=None), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertIsNone(headroom.step(1, loss=2.0))
        self.assertEqual(path.read_bytes(), b"")
        self.assertTrue(any("not a pipe" in str(x.message) for x in caught))

    def test_nowhere_warns_once(self):
        with support.environ(HEADROOM_STEP_FD=None, HEADROOM_STEP_SOCKET=None), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            self.assertIsNone(headroom.step(1))
            self.assertIsNone(headroom.step(2))
        self.assertEqual(len(caught), 1)


class UnderARealRun(unittest.TestCase):
    def test_library_runner_parses_the_binding_steps(self):
        r = subprocess.run([support.PYTHON, str(support.SOURCE_DIR / "python" / "tests" /
                                                "run_job.py"), support.PYTHON, "-c", JOB],
                           capture_output=True, text=True, timeout=60,
                           env=support.child_env(HEADROOM_STEP_FD=None,
                                                 HEADROOM_STEP_SOCKET=None))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        steps = [x for x in lines if "step" in x]
        self.assertEqual([s["step"] for s in steps], [0, 1, 2, 3])
        self.assertTrue(all(s["channel"] for s in steps))
        self.assertEqual(steps[1]["units"], 25)
        self.assertAlmostEqual(steps[1]["values"]["loss"], 0.5)
        self.assertAlmostEqual(steps[2]["values"]["grad_norm"], 3.0)
        self.assertIsNone(steps[3]["values"]["loss"])
        self.assertEqual(lines[-1]["exit"], 0)
        self.assertEqual(lines[-1]["malformed"], 0, lines[-1]["last_malformed"])

    def test_headroom_run_cli_records_the_steps(self):
        exe = support.cli()
        if exe is None:
            self.skipTest("headroom CLI not built")
        probe = subprocess.run([exe, "run", "--help"], capture_output=True, text=True,
                               timeout=30)
        if probe.returncode != 0:
            self.skipTest("this build's CLI has no `run` command yet")
        out = support.tempdir(self) / "run.hrs"
        r = subprocess.run([exe, "run", "--policy", "off", "--quiet", "--hz", "20", "-o",
                            str(out), "--root", support.fixture("linux/laptop"), "--",
                            support.PYTHON, "-c", JOB],
                           capture_output=True, text=True, timeout=120,
                           env=support.child_env(HEADROOM_STEP_FD=None,
                                                 HEADROOM_STEP_SOCKET=None,
                                                 HEADROOM_NVML_LIBRARY=support.NO_NVML))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("working 2", r.stdout)
        d = headroom.read_session(out)
        steps = [s for s in d.steps if "loss" in s.values]
        self.assertEqual([s.index for s in steps], [0, 1, 2, 3])
        self.assertAlmostEqual(steps[2].values["grad_norm"], 3.0)
        self.assertEqual(steps[0].units, 25)
        self.assertIsNone(steps[3].values["loss"])


if __name__ == "__main__":
    unittest.main()
