"""The examples in examples/ run: the seed-000 loop (on a fake clock, so its
real-time pacing and 60 s breaks take no time), the training loop under a
real run and alone, and the diffusion plan."""

import contextlib
import io
import json
import runpy
import subprocess
import time
import unittest
import warnings

import support
from support import FakeClock, headroom

EXAMPLES = support.SOURCE_DIR / "examples"


class SeedLoop(unittest.TestCase):
    def test_seed000_loop_runs_and_cools_less_than_the_seed(self):
        mod = runpy.run_path(str(EXAMPLES / "seed000_loop.py"))
        out = io.StringIO()
        with FakeClock() as clock, contextlib.redirect_stdout(out), \
                warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            saved_sleep = time.sleep
            time.sleep = clock.sleep  # the simulated generator sleeps on the fake clock too
            try:
                mgr = mod["main"](["--images", "25"])
            finally:
                time.sleep = saved_sleep
        stats = mgr.get_stats()
        self.assertEqual(stats["total_generations"], 25)
        # A batch break after 10 images, a slowdown break for the throttled
        # stretch (which restarts the batch count); the seed took about 24.
        self.assertEqual(stats["batch_breaks"], 1)
        self.assertEqual(stats["cooling_breaks_taken"], 2)
        self.assertAlmostEqual(stats["baseline_time_per_step"], 25 * 4.5)
        self.assertGreater(stats["throttle_loss_seconds"], 0)
        self.assertTrue(any(issubclass(w.category, headroom.HeadroomUnitsWarning)
                            for w in caught))
        self.assertIn("THERMAL MANAGEMENT STATISTICS", out.getvalue())


class TrainUnderRun(unittest.TestCase):
    ARGS = ["--steps", "6", "--step-seconds", "0.01", "--batch-size", "8"]

    def test_steps_reach_a_real_runner(self):
        r = subprocess.run([support.PYTHON, str(support.SOURCE_DIR / "python" / "tests" /
                                                "run_job.py"), support.PYTHON,
                            str(EXAMPLES / "train_under_run.py")] + self.ARGS,
                           capture_output=True, text=True, timeout=60,
                           env=support.child_env(HEADROOM_STEP_FD=None,
                                                 HEADROOM_STEP_SOCKET=None))
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [json.loads(x) for x in r.stdout.splitlines()]
        steps = [x for x in lines if "step" in x]
        self.assertEqual([s["step"] for s in steps], list(range(6)))
        self.assertTrue(all(s["units"] == 8 for s in steps))
        self.assertTrue(all(set(s["values"]) == {"loss", "grad_norm", "lr"} for s in steps))
        self.assertEqual(lines[-1]["exit"], 0)
        self.assertEqual(lines[-1]["malformed"], 0)

    def test_alone_it_records_its_own_session(self):
        path = support.tempdir(self) / "local.hrs"
        r = subprocess.run([support.PYTHON, str(EXAMPLES / "train_under_run.py"),
                            "--session", str(path)] + self.ARGS,
                           capture_output=True, text=True, timeout=60,
                           env=support.child_env(HEADROOM_STEP_FD=None,
                                                 HEADROOM_STEP_SOCKET=None,
                                                 HEADROOM_ROOT=support.fixture("linux/laptop"),
                                                 HEADROOM_NVML_LIBRARY=support.NO_NVML))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("recording", r.stdout)
        d = headroom.read_session(path)
        self.assertEqual([s.index for s in d.steps], list(range(6)))
        self.assertLess(d.steps[-1].values["loss"], 2.6)


class PlanDiffusionExample(unittest.TestCase):
    def test_prints_the_plan(self):
        r = subprocess.run([support.PYTHON, str(EXAMPLES / "plan_diffusion.py"), "--size",
                            "2048x2048", "--model", "sdxl", "--assume-device", "mps",
                            "--assume-memory", "16G"],
                           capture_output=True, text=True, timeout=60,
                           env=support.child_env(HEADROOM_CONFIG=None,
                                                 DIFFUSIONAPI_MEMORY_CONFIG=None))
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertIn("size     1024x1024 (scaled)", r.stdout)
        self.assertIn("on  reduce_vae_sample_size", r.stdout)
        self.assertIn("torch    device='mps' dtype='float16'", r.stdout)


if __name__ == "__main__":
    unittest.main()
