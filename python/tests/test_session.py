"""headroom.Session / record(): the C recorder thread writing a real session
file, steps and events from Python (several threads), read back through the
library; errors with the store's detail."""

import os
import threading
import time
import unittest

import support
from support import headroom


def laptop_session(path, **kw):
    kw.setdefault("hz", 50)
    return headroom.record(path, root=support.fixture("linux/laptop"),
                           nvml_library=support.NO_NVML, **kw)


class Recording(unittest.TestCase):
    def test_steps_events_and_ticks_round_trip(self):
        path = support.tempdir(self) / "train.hrs"
        with laptop_session(path, tags={"run": "a1"}, meta={"note": "unit test"}) as s:
            self.assertIs(headroom.current_session(), s)
            for i in range(4):
                time.sleep(0.02)
                s.mark_step(i, units=8, loss=1.0 / (i + 1), grad_norm=float("nan"))
            s.event("mark", "halfway")
            t0 = s.now_ns()
            s.event("cooling_break", "by hand", start_ns=t0, end_ns=t0 + 5)
            deadline = time.monotonic() + 5
            while s.stats()["written"] < 2 and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertGreaterEqual(s.stats()["ticks"], 2)
            self.assertEqual(s.latest("cpu", "temp"), 67000)  # millidegrees, stored unit
        self.assertIsNone(headroom.current_session())
        self.assertFalse(s.recording)
        d = headroom.read_session(path)
        self.assertEqual(d.state, "finished")
        self.assertGreaterEqual(d.info["ticks"], 2)
        self.assertEqual(d.info["steps"], 4)
        self.assertEqual([st.index for st in d.steps], [0, 1, 2, 3])
        self.assertEqual(d.steps[1].units, 8.0)
        self.assertAlmostEqual(d.steps[1].values["loss"], 0.5)
        self.assertIsNone(d.steps[1].values["grad_norm"])  # NaN is unknown, not 0
        self.assertGreater(d.steps[1].duration_s, 0.015)
        kinds = [(e.kind, e.detail) for e in d.events]
        self.assertIn(("mark", "halfway"), kinds)
        brk = [e for e in d.events if e.kind == "cooling_break"][0]
        self.assertEqual(brk.end_mono_ns - brk.start_mono_ns, 5)
        self.assertEqual(d.meta["tags"]["run"], "a1")
        comps = {(c["component"], c["metric"]) for c in d.channels}
        self.assertIn(("cpu", "temp"), comps)

    def test_headroom_step_records_into_the_active_session(self):
        path = support.tempdir(self) / "steps.hrs"
        with support.environ(HEADROOM_STEP_FD=None, HEADROOM_STEP_SOCKET=None):
            with laptop_session(path):
                where = [headroom.step(i, units=2, loss=0.1 * i) for i in range(3)]
        self.assertEqual(where, ["session"] * 3)
        d = headroom.read_session(path)
        self.assertEqual([s.values["loss"] for s in d.steps], [0.0, 0.1, 0.2])

    def test_steps_from_many_threads(self):
        path = support.tempdir(self) / "threads.hrs"
        with laptop_session(path) as s:
            def worker(base):
                for i in range(25):
                    s.mark_step(base + i, units=1, value=float(i))
            threads = [threading.Thread(target=worker, args=(k * 100,)) for k in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        d = headroom.read_session(path)
        self.assertEqual(sorted(st.index for st in d.steps),
                         sorted(k * 100 + i for k in range(4) for i in range(25)))

    def test_exception_in_the_block_is_an_event_and_the_file_is_finished(self):
        path = support.tempdir(self) / "boom.hrs"
        with self.assertRaises(RuntimeError):
            with laptop_session(path):
                raise RuntimeError("diverged")
        d = headroom.read_session(path)
        self.assertEqual(d.state, "finished")
        self.assertIn(("error", "RuntimeError: diverged"), [(e.kind, e.detail) for e in d.events])

    def test_a_forked_child_never_touches_the_parents_recorder(self):
        path = support.tempdir(self) / "fork.hrs"
        with support.environ(HEADROOM_STEP_FD=None, HEADROOM_STEP_SOCKET=None):
            with laptop_session(path) as s:
                s.mark_step(0, units=1)
                pid = os.fork()
                if pid == 0:  # a DataLoader worker, say
                    code = 1
                    try:
                        import warnings
                        with warnings.catch_warnings():
                            warnings.simplefilter("ignore")
                            ok = headroom.step(99) is None and not s.recording
                        try:
                            s.mark_step(98)
                        except RuntimeError:
                            code = 0 if ok else 2
                    finally:
                        os._exit(code)
                _, status = os.waitpid(pid, 0)
                self.assertEqual(os.waitstatus_to_exitcode(status), 0)
                s.mark_step(1, units=1)
        d = headroom.read_session(path)
        self.assertEqual([st.index for st in d.steps], [0, 1])
        self.assertEqual(d.state, "finished")

    def test_outside_with_is_an_error(self):
        s = headroom.Session(support.tempdir(self) / "x.hrs")
        with self.assertRaises(RuntimeError):
            s.mark_step(1)


class StoreErrors(unittest.TestCase):
    def test_existing_file_needs_overwrite(self):
        path = support.tempdir(self) / "exists.hrs"
        path.write_text("not a session")
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            with laptop_session(path):
                pass
        self.assertIn(str(path), cm.exception.detail)
        self.assertEqual(path.read_text(), "not a session")
        with laptop_session(path, overwrite=True):
            pass
        self.assertEqual(headroom.read_session(path).state, "finished")

    def test_unwritable_directory_names_the_file(self):
        if os.geteuid() == 0:
            target = "/proc/headroom-cannot-write-here.hrs"
        else:
            d = support.tempdir(self)
            os.chmod(d, 0o500)
            self.addCleanup(os.chmod, d, 0o700)
            target = str(d / "x.hrs")
        with self.assertRaises(headroom.HeadroomError) as cm:
            with laptop_session(target):
                pass
        self.assertIsInstance(cm.exception, (headroom.HeadroomError_Store,
                                             headroom.HeadroomError_InvalidArgument))
        self.assertIn("headroom-cannot-write-here" if os.geteuid() == 0 else "x.hrs",
                      cm.exception.detail)

    def test_reading_what_is_not_a_session(self):
        path = support.tempdir(self) / "junk.hrs"
        path.write_bytes(b"\0" * 100)
        with self.assertRaises(headroom.HeadroomError) as cm:
            headroom.read_session(path)
        self.assertTrue(cm.exception.detail)
        with self.assertRaises(headroom.HeadroomError_NotFound):
            headroom.read_session(support.tempdir(self) / "missing.hrs")

    def test_bad_rate(self):
        with self.assertRaises(headroom.HeadroomError_InvalidArgument) as cm:
            with laptop_session(support.tempdir(self) / "r.hrs", hz=5000):
                pass
        self.assertIn("5000", cm.exception.detail)


if __name__ == "__main__":
    unittest.main()
