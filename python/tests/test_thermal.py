"""ThermalManager / BatchThermalManager: seed 000's calling code runs
unchanged (only the import differs) and behaves better; each fix, the real
sleep, Ctrl-C, and the in-process sensor policy."""

import contextlib
import io
import json
import os
import signal
import sys
import threading
import time
import types
import unittest
import warnings

import support
from support import FakeClock, headroom

# ---------------------------------------------------------------- seed 000's code
# The three calling snippets of seed 000's guide, verbatim except the import
# line ("from image_gen.utils.thermal_manager import ..." -> "from headroom
# import ..."). Their free names (images, generate_image, batch, ...) are the
# test's simulated workload.

SEED_STRATEGY_1 = '''
from headroom import ThermalManager

thermal_mgr = ThermalManager(
    baseline_time_per_step=5.0,  # Expected normal performance
    throttle_threshold=1.5,       # Trigger cooling if 50% slower
    cooling_duration=30,          # 30-second cooling breaks
)

for image in images:
    # Check if cooling needed
    if thermal_mgr.should_cool():
        thermal_mgr.cooling_break()
    
    # Generate image
    start = time.time()
    generate_image()
    elapsed = time.time() - start
    
    # Record timing for analysis
    thermal_mgr.record_timing(elapsed)
'''

SEED_STRATEGY_2 = '''
from headroom import BatchThermalManager

thermal_mgr = BatchThermalManager(
    batch_size=10,                # Cool every 10 images
    batch_cooling_duration=60,    # 60-second breaks between batches
    baseline_time_per_step=4.5,
    throttle_threshold=1.3,       # More aggressive (30% slowdown triggers cooling)
)

for i, image_params in enumerate(batch):
    # Automatic batch boundary cooling
    if thermal_mgr.should_cool():
        thermal_mgr.cooling_break()
    
    # Generate and record
    elapsed = generate_image(image_params)
    thermal_mgr.record_timing(elapsed)
'''

SEED_INTEGRATION = '''
from image_gen.core import ImageGenerator
from headroom import BatchThermalManager
from pathlib import Path
import time

# Initialize
gen = ImageGenerator(auto_preview=False)
thermal_mgr = BatchThermalManager(
    batch_size=10,
    batch_cooling_duration=60,
    baseline_time_per_step=4.5,
)

# Generate with thermal protection
prompts = ["portrait 1", "portrait 2", ...]  # Your prompts

for i, prompt in enumerate(prompts, 1):
    if thermal_mgr.should_cool():
        thermal_mgr.cooling_break()
    
    start = time.time()
    image = gen.generate(
        prompt=prompt,
        num_inference_steps=25,  # Optimal range
        save_path=Path(f"outputs/image_{i:03d}.png"),
        auto_save=True
    )
    elapsed = time.time() - start
    thermal_mgr.record_timing(elapsed)

# Print statistics
thermal_mgr.print_stats()
'''


class SimulatedSdxl:
    """Images of 25 denoising steps at 4.5 s/step, slower in a throttled
    stretch; time passes on the fake clock."""

    def __init__(self, clock, slow=(), slow_factor=2.0, steps=25, s_per_step=4.5):
        self.clock, self.slow, self.factor = clock, set(slow), slow_factor
        self.steps, self.s_per_step = steps, s_per_step
        self.count = 0

    def __call__(self, *args, **kwargs):
        t = self.steps * self.s_per_step * (self.factor if self.count in self.slow else 1.0)
        self.count += 1
        self.clock.advance(t)
        return t


def run_seed(code, namespace):
    out = io.StringIO()
    with contextlib.redirect_stdout(out), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(code, "<seed 000>", "exec"), namespace)
    return namespace["thermal_mgr"], out.getvalue(), caught


class SeedUsageVerbatim(unittest.TestCase):
    def test_strategy_1_cools_once_for_one_slow_stretch(self):
        with FakeClock() as clock:
            gen = SimulatedSdxl(clock, slow=range(12, 16))
            ns = {"images": range(20), "generate_image": gen, "time": time}
            mgr, out, caught = run_seed(SEED_STRATEGY_1, ns)
        self.assertEqual(gen.count, 20)
        # The seed compared 112 s images with a 5 s per-step baseline and cooled
        # before nearly every image; here: one warning, one break for the stretch.
        units = [w for w in caught if issubclass(w.category, headroom.HeadroomUnitsWarning)]
        self.assertEqual(len(units), 1)
        self.assertIn("units=", str(units[0].message))
        self.assertEqual(mgr.cooling_breaks_taken, 1)
        self.assertEqual(mgr.get_stats()["critical_breaks"], 0)
        self.assertGreaterEqual(sum(clock.slept), 30)
        self.assertAlmostEqual(mgr.baseline, 112.5)
        self.assertIn("Cooling break (steps", out)
        self.assertIn("Cooling complete (break #1", out)

    def test_strategy_2_breaks_at_batch_boundaries(self):
        with FakeClock() as clock:
            gen = SimulatedSdxl(clock)
            ns = {"batch": [{"seed": i} for i in range(25)], "generate_image": gen}
            mgr, out, caught = run_seed(SEED_STRATEGY_2, ns)
        stats = mgr.get_stats()
        self.assertEqual(gen.count, 25)
        self.assertEqual(stats["batch_breaks"], 2)  # before images 11 and 21
        self.assertEqual(mgr.cooling_breaks_taken, 2)
        self.assertAlmostEqual(sum(clock.slept), 120.0, places=3)
        self.assertAlmostEqual(stats["total_cooling_time_seconds"], 120.0, places=3)
        self.assertEqual(mgr.current_batch_count, 5)
        self.assertEqual(out.count("Cooling complete"), 2)

    def test_integration_snippet_prints_the_seeds_stats(self):
        fake_core = types.ModuleType("image_gen.core")
        with FakeClock() as clock:
            gen = SimulatedSdxl(clock)

            class ImageGenerator:
                def __init__(self, auto_preview=True):
                    self.auto_preview = auto_preview

                def generate(self, prompt, num_inference_steps, save_path, auto_save):
                    gen.steps = num_inference_steps
                    gen()
                    return object()

            fake_core.ImageGenerator = ImageGenerator
            saved = {k: sys.modules.get(k) for k in ("image_gen", "image_gen.core")}
            sys.modules["image_gen"] = types.ModuleType("image_gen")
            sys.modules["image_gen.core"] = fake_core
            try:
                mgr, out, caught = run_seed(SEED_INTEGRATION, {})
            finally:
                for k, v in saved.items():
                    if v is None:
                        sys.modules.pop(k, None)
                    else:
                        sys.modules[k] = v
        self.assertEqual(gen.count, 3)  # "portrait 1", "portrait 2", ...
        self.assertEqual(mgr.cooling_breaks_taken, 0)
        for line in ("THERMAL MANAGEMENT STATISTICS", "Total Generations:        3",
                     "Cooling Breaks Taken:     0", "Total Cooling Time:       0.0s (0.0 min)",
                     "Baseline:", "Current Ratio:", "Currently Throttled:    No",
                     "Average:                112.50s/step", "Efficiency:"):
            self.assertIn(line, out)

    def test_seed_attributes(self):
        with FakeClock() as clock:
            mgr = headroom.BatchThermalManager(batch_size=5, batch_cooling_duration=60,
                                               baseline_time_per_step=5.0,
                                               throttle_threshold=1.5, critical_threshold=2.0,
                                               verbose=False)
            self.assertEqual((mgr.batch_size, mgr.batch_cooling_duration), (5, 60))
            self.assertEqual((mgr.throttle_threshold, mgr.critical_threshold), (1.5, 2.0))
            self.assertEqual(mgr.cooling_duration, 30)
            self.assertIsNone(mgr.get_thermal_state())
            self.assertEqual(mgr.get_stats(), {})
            for i in range(5):
                self.assertFalse(mgr.should_cool())
                clock.advance(5.0)
                mgr.record_timing(5.0)
            state = mgr.get_thermal_state()
            self.assertIsInstance(state, headroom.ThermalState)
            self.assertFalse(state.is_throttled)
            self.assertAlmostEqual(state.performance_ratio, 1.0)
            self.assertEqual(state.recent_times, [5.0] * 5)
            self.assertEqual(state.baseline_time, 5.0)
            self.assertTrue(mgr.should_cool())
            self.assertGreaterEqual(mgr.current_batch_count, mgr.batch_size)
            self.assertEqual(mgr.cooling_breaks_taken, 0)
            mgr.cooling_break()
            self.assertEqual(mgr.current_batch_count, 0)
            self.assertEqual(mgr.cooling_breaks_taken, 1)
            self.assertAlmostEqual(mgr.total_cooling_time, 60.0, places=3)
            self.assertEqual(len(mgr.all_timings), 5)


class Governed(unittest.TestCase):
    def make(self, **kw):
        kw.setdefault("verbose", False)
        return headroom.ThermalManager(**kw)

    def test_lone_spike_is_not_heat(self):
        with FakeClock() as clock:
            mgr = self.make(baseline_time_per_step=1.0, critical_cooling_duration=10)
            for t in [1.0] * 5 + [5.0] + [1.0] * 5:
                self.assertFalse(mgr.should_cool())
                clock.advance(t)
                mgr.record_timing(t)
        self.assertEqual(mgr.get_stats()["cooling_breaks_taken"], 0)

    def test_one_spike_one_break(self):
        with FakeClock() as clock:
            mgr = self.make(baseline_time_per_step=1.0, critical_cooling_duration=10)
            breaks = 0
            for t in [1.0] * 5 + [5.0, 5.0] + [1.0] * 5:
                if mgr.should_cool():
                    breaks += 1
                    mgr.cooling_break()
                clock.advance(t)
                mgr.record_timing(t)
            self.assertFalse(mgr.should_cool())
        self.assertEqual(breaks, 1)  # the seed took up to five for one spike
        stats = mgr.get_stats()
        self.assertEqual(stats["critical_breaks"], 1)
        self.assertEqual(stats["cooling_breaks_taken"], 1)
        self.assertGreaterEqual(stats["total_cooling_time_seconds"], 10)

    def test_units_normalise_per_step(self):
        with FakeClock() as clock, warnings.catch_warnings():
            warnings.simplefilter("error")  # no units warning when units are given
            mgr = self.make(baseline_time_per_step=4.5)
            for steps in (20, 25, 30, 35, 40, 45, 50):
                self.assertFalse(mgr.should_cool())
                clock.advance(steps * 4.6)
                mgr.record_timing(steps * 4.6, units=steps)
        stats = mgr.get_stats()
        self.assertEqual(stats["cooling_breaks_taken"], 0)
        self.assertAlmostEqual(stats["avg_time_per_step"], 4.6)
        self.assertAlmostEqual(stats["units"], 245)
        self.assertAlmostEqual(mgr.get_thermal_state().performance_ratio, 4.5 / 4.6)

    def test_sustained_slowdown_breaks_and_resumes(self):
        with FakeClock() as clock:
            mgr = self.make(baseline_time_per_step=2.0, cooling_duration=20)
            for _ in range(5):
                clock.advance(2.0)
                mgr.record_timing(2.0)
            for _ in range(3):
                clock.advance(4.0)
                mgr.record_timing(4.0)
            self.assertTrue(mgr.should_cool())
            state = mgr.get_thermal_state()
            self.assertTrue(state.paused)
            mgr.cooling_break()
            self.assertFalse(mgr.should_cool())
        actions = [(a, r) for _, a, r, _ in mgr.decisions]
        self.assertIn(("pause", "slowdown"), actions)
        self.assertIn(("resume", "break_done"), actions)
        self.assertGreaterEqual(sum(clock.slept), 20 - 1e-6)

    def test_stats_arithmetic(self):
        with FakeClock() as clock:
            mgr = self.make(baseline_time_per_step=1.0, throttle_threshold=10,
                            critical_threshold=20)
            for d, u in ((2.0, 2), (3.0, 2), (1.0, 1)):
                clock.advance(d)
                mgr.record_timing(d, units=u)
        s = mgr.get_stats()
        self.assertEqual(s["total_generations"], 3)
        self.assertAlmostEqual(s["avg_time_per_step"], 6.0 / 5)  # per unit, not per call
        self.assertAlmostEqual(s["min_time_per_step"], 1.0)
        self.assertAlmostEqual(s["max_time_per_step"], 1.5)
        self.assertAlmostEqual(s["ideal_time_seconds"], 5.0)
        self.assertAlmostEqual(s["throttle_loss_seconds"], 1.0)
        self.assertAlmostEqual(s["wall_time_seconds"], 6.0)
        self.assertAlmostEqual(s["efficiency"], 5.0 / 6.0)
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            mgr.print_stats()
        self.assertIn("Efficiency:             83.3%", out.getvalue())
        self.assertIn("Throttle Loss:          1.00s", out.getvalue())

    def test_learned_baseline(self):
        with FakeClock() as clock:
            mgr = self.make()
            for t in (9.0, 3.0, 3.2, 3.1, 3.3):  # a slow first step (compiling) is ignored
                self.assertIsNone(mgr.get_thermal_state())
                clock.advance(t)
                mgr.record_timing(t)
        self.assertAlmostEqual(mgr.baseline, 3.1)
        self.assertTrue(mgr.get_stats()["baseline_learned"])

    def test_options_and_their_errors(self):
        mgr = self.make(rest_ratio=0, learn_steps=3, max_break_s=900)
        self.assertEqual(mgr._config.learn_steps, 3)
        with self.assertRaises(TypeError):
            self.make(no_such_option=1)
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            self.make(throttle_threshold=0.9)
        self.assertIn("threshold", cm.exception.detail)
        with self.assertRaises(headroom.HeadroomError_InvalidArgument):
            self.make(policy="sometimes")
        with self.assertRaises(ValueError):
            mgr.record_timing(-1)
        with self.assertRaises(ValueError):
            mgr.record_timing(float("nan"))

    def test_break_on_request_as_the_seed(self):
        with FakeClock() as clock:
            mgr = self.make(cooling_duration=7)
            mgr.cooling_break()
            mgr.cooling_break(duration=3)
        self.assertAlmostEqual(sum(clock.slept), 10.0)
        self.assertEqual(mgr.cooling_breaks_taken, 2)
        self.assertAlmostEqual(mgr.total_cooling_time, 10.0)

    def test_ignored_break_is_ended_by_the_next_item(self):
        with FakeClock() as clock:
            mgr = self.make(baseline_time_per_step=1.0, critical_cooling_duration=60)
            for t in [1.0] * 5 + [5.0, 5.0]:
                clock.advance(t)
                mgr.record_timing(t)
            self.assertTrue(mgr.should_cool())
            clock.advance(1.0)  # the loop worked on instead of cooling
            mgr.record_timing(1.0)
            self.assertFalse(mgr.should_cool())
            s = mgr.get_stats()
        self.assertAlmostEqual(s["productive_time_seconds"], 16.0)
        self.assertLess(s["total_cooling_time_seconds"], 1.0)


class InSession(unittest.TestCase):
    def test_breaks_are_session_events(self):
        path = support.tempdir(self) / "breaks.hrs"
        with headroom.record(path, hz=50, root=support.fixture("linux/laptop"),
                             nvml_library=support.NO_NVML):
            mgr = headroom.ThermalManager(cooling_duration=0.05, verbose=False)
            mgr.cooling_break()
        events = [e for e in headroom.read_session(path).events if e.kind == "cooling_break"]
        self.assertEqual(len(events), 1)
        self.assertIn("requested", events[0].detail)
        self.assertGreaterEqual(events[0].end_mono_ns - events[0].start_mono_ns, 40 * 10**6)


class RealTime(unittest.TestCase):
    def slow_step_manager(self, cooling):
        mgr = headroom.ThermalManager(baseline_time_per_step=0.001, cooling_duration=cooling,
                                      critical_cooling_duration=cooling, rest_ratio=0,
                                      verbose=False)
        for t in [0.001] * 5 + [0.01, 0.01]:
            mgr.record_timing(t)
        self.assertTrue(mgr.should_cool())
        return mgr

    def test_cooling_break_really_sleeps(self):
        mgr = self.slow_step_manager(0.3)
        t0 = time.monotonic()
        mgr.cooling_break()
        took = time.monotonic() - t0
        self.assertGreaterEqual(took, 0.25)
        self.assertLess(took, 3.0)
        self.assertFalse(mgr.should_cool())

    def test_ctrl_c_ends_the_break_and_propagates(self):
        if threading.current_thread() is not threading.main_thread():
            self.skipTest("signals need the main thread")
        mgr = self.slow_step_manager(30)
        timer = threading.Timer(0.3, os.kill, (os.getpid(), signal.SIGINT))
        old = signal.signal(signal.SIGINT, signal.default_int_handler)
        self.addCleanup(signal.signal, signal.SIGINT, old)
        t0 = time.monotonic()
        timer.start()
        with self.assertRaises(KeyboardInterrupt):
            mgr.cooling_break()
        timer.join()
        self.assertLess(time.monotonic() - t0, 5.0)
        self.assertFalse(mgr.should_cool())  # the break was ended, not left on
        self.assertEqual(mgr.cooling_breaks_taken, 1)
        self.assertLess(mgr.total_cooling_time, 5.0)


def hot_then_cool_scenario(directory, margins):
    base = json.loads((support.FIXTURES / "nvml" / "h100.json").read_text())
    dev = base["devices"][0]
    dev["margin"] = margins
    dev["temperature"] = [89 - m for m in margins]
    dev["throttle"]["current"] = "0x0"
    path = directory / "hot-then-cool.json"
    path.write_text(json.dumps(base))
    return path


class SensorPolicy(unittest.TestCase):
    def test_gpu_margin_pauses_and_cooling_resumes(self):
        support.need_fake_nvml(self)
        scenario = hot_then_cool_scenario(support.tempdir(self), [2, 2, 2, 2, 20])
        with support.environ(FAKE_NVML_SCENARIO=str(scenario)), FakeClock():
            mgr = headroom.ThermalManager(policy="sensor", sample_interval=0.5, verbose=False,
                                          root=support.fixture("linux/sensorless-vm"),
                                          nvml_library=str(support.FAKE_NVML))
            self.addCleanup(mgr.close)
            self.assertTrue(mgr.should_cool())
            mgr.cooling_break()
            self.assertFalse(mgr.should_cool())
        stats = mgr.get_stats()
        self.assertEqual(stats["sensor_breaks"], 1)
        self.assertEqual(stats["cooling_breaks_taken"], 1)
        reasons = [r for _, a, r, _ in mgr.decisions]
        self.assertIn("gpu_margin", reasons)
        self.assertIn("cooled", reasons)
        text = [t for _, a, _, t in mgr.decisions if a == "pause"][0]
        self.assertRegex(text, r"GPU")

    def test_auto_uses_sensors_where_there_are_some(self):
        with FakeClock():
            mgr = headroom.ThermalManager(policy="auto", verbose=False,
                                          root=support.fixture("linux/laptop"),
                                          nvml_library=support.NO_NVML)
            self.addCleanup(mgr.close)
            self.assertFalse(mgr.should_cool())  # 67 °C of 100: cool
            mgr.record_timing(1.0)
            self.assertEqual(mgr.get_stats()["active_policy"], "sensor")
            vm = headroom.ThermalManager(policy="auto", verbose=False,
                                         root=support.fixture("linux/sensorless-vm"),
                                         nvml_library=support.NO_NVML)
            self.addCleanup(vm.close)
            vm.should_cool()
            vm.record_timing(1.0)
            self.assertEqual(vm.get_stats()["active_policy"], "timing")

    def test_sensor_policy_without_a_probe_raises(self):
        with self.assertRaises(headroom.HeadroomError) as cm:
            headroom.ThermalManager(policy="sensor", root="/nonexistent/root")
        self.assertIn("/nonexistent/root", cm.exception.detail)


if __name__ == "__main__":
    unittest.main()
