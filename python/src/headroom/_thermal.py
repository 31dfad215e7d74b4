"""ThermalManager and BatchThermalManager: drop-in replacements for seed
000's classes (image_gen.utils.thermal_manager), backed by the C governor
(hr_govern.h, docs/GOVERNOR.md).

Same constructor arguments, defaults, methods and attributes as the seed:

    thermal_mgr = ThermalManager(baseline_time_per_step=5.0, throttle_threshold=1.5,
                                 cooling_duration=30)
    for image in images:
        if thermal_mgr.should_cool():
            thermal_mgr.cooling_break()
        start = time.time(); generate_image(); elapsed = time.time() - start
        thermal_mgr.record_timing(elapsed)
    thermal_mgr.print_stats()

What differs, because the seed was wrong (seed-behaviour.md section 1):
- record_timing(elapsed, units=1): times are per unit of work. Pass
  units=steps when one call covers several denoising steps and the
  baseline is per step. When units are left out, a given baseline is
  checked against the first calls: if the first three are all at least
  critical_threshold x slower, the calls cover several steps each (the
  seed's own examples did this); a HeadroomUnitsWarning says so and the
  baseline is learned from the timings instead of pausing before every
  item.
- The slowdown is the median of the window, not its maximum; a break
  clears the window, so one slow item causes one break; critical_threshold
  triggers a longer break once consecutive items past it hold
  critical_evidence_units units (2: a lone checkpoint item is not heat; one
  item of several units is enough); an ineffective break makes the next one
  longer.
- cooling_duration is the shortest timing break; the governor may rest
  longer after long slow items (rest_ratio) or after a break that did not
  help (break_growth), up to max_break_s.
- get_stats() / print_stats() add productive time, ideal time, the time
  lost to throttling and the efficiency (ideal / wall), computed per unit.
- policy="sensor" or "auto" pauses on real temperatures and NVML reasons
  read by an in-process probe (root / nvml_library as for headroom.probe()).
- Inside `with headroom.record(...)`, each break is also recorded in the
  session as a "cooling_break" event.

Any other hr_govern_config field can be passed by name (rest_ratio=0,
learn_steps=3, max_break_s=600, ...).
"""

import collections
import ctypes as C
import dataclasses
import math
import time
import warnings
from typing import List, Optional

from . import _types as T
from ._errors import HeadroomError
from ._lib import check, dec, enc, lib
from ._probe import LiveProbe
from ._session import current_session

# Hooks for tests: the clock (monotonic nanoseconds) and the sleep.
_now_ns = time.monotonic_ns
_sleep = time.sleep

PAUSE, RESUME, WARN = 1, 2, 3
POLICY_SENSOR = 3
_SLEEP_CHUNK_S = 1.0
_UNIT_CHECK_CALLS = 3


class HeadroomUnitsWarning(UserWarning):
    """record_timing() seems to get several units of work per call."""


@dataclasses.dataclass
class ThermalState:
    """The seed's ThermalState, per unit of work, with the governor's view."""

    is_throttled: bool
    performance_ratio: float  # baseline / recent mean; 1.0 normal, < 1.0 slower
    recent_times: List[float]  # seconds per unit, most recent last
    baseline_time: float  # seconds per unit
    paused: bool = False  # a break is due (should_cool() is True)
    policy: str = "timing"  # the policy deciding now (auto resolved)


def _policy_value(name):
    out = C.c_int()
    check(lib().hr_govern_policy_from_name(enc(name), C.byref(out)),
          "policy must be auto, timing, batch, sensor or off (got %r)" % (name,))
    return out.value


def _nan_to_none(x):
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


class ThermalManager:
    """Timing-based (and optionally sensor-based) cooling breaks for long
    loops; see the module docstring. Use one manager from one thread (the
    loop's); distinct managers are independent."""

    _default_policy = "timing"

    def __init__(self, baseline_time_per_step: Optional[float] = None,
                 throttle_threshold: float = 1.5, critical_threshold: float = 3.0,
                 window_size: int = 5, cooling_duration: float = 30, *, policy=None,
                 critical_cooling_duration=None, unit="step", verbose=True, root=None,
                 nvml_library=None, sample_interval=1.0, **governor):
        self.throttle_threshold = throttle_threshold
        self.critical_threshold = critical_threshold
        self.cooling_duration = cooling_duration
        self.window_size = window_size
        self.unit = unit
        self.verbose = verbose
        self.sample_interval = sample_interval
        self.timings = collections.deque(maxlen=window_size)
        self.all_timings: List[float] = []
        self.decisions = []  # (monotonic ns, action, reason, text) of every non-CONTINUE
        self._lib = lib()
        self._given_baseline = baseline_time_per_step
        self._policy_name = policy or self._default_policy
        self._config = self._make_config(baseline_time_per_step, critical_cooling_duration,
                                         governor)
        self._gov = None
        self._gov = self._new_governor(self._config)
        self._last_t = 0  # the latest clock reading
        self._fed_t = 0  # the latest time given to the governor
        self._durations = 0.0
        self._units = 0.0
        self._manual_breaks = 0
        self._manual_cooling_s = 0.0
        self._pause = None  # the PAUSE decision of the break that is due
        self._in_break = False  # inside cooling_break()
        self._unit_check = baseline_time_per_step is not None
        self._held = []  # steps held while the units are checked
        self._sensors = None
        self._last_sample_ns = None
        if self._config.policy in (0, POLICY_SENSOR):
            self._open_sensors(root, nvml_library)

    # ------------------------------------------------------------ set-up

    def _make_config(self, baseline, critical_cooling, governor):
        c = T.GovernConfig()
        self._lib.hr_govern_config_defaults(C.byref(c))
        c.policy = _policy_value(self._policy_name)
        c.baseline_s_per_unit = float(baseline) if baseline is not None else 0.0
        c.threshold = float(self.throttle_threshold)
        c.critical = float(self.critical_threshold)
        c.window = int(self.window_size)
        c.break_s = float(self.cooling_duration)
        if critical_cooling is not None:
            c.critical_break_s = float(critical_cooling)
        self._batch_config(c)
        names = {f[0] for f in T.GovernConfig._fields_} - {"size", "policy"}
        for key, value in governor.items():
            if key not in names or key.startswith("reserved"):
                raise TypeError("unknown ThermalManager option %r (governor options: %s)"
                                % (key, ", ".join(sorted(n for n in names
                                                         if not n.startswith("reserved")))))
            setattr(c, key, value)
        if "max_break_s" not in governor:
            c.max_break_s = max(c.max_break_s, c.break_s, c.critical_break_s, c.batch_break_s)
        why = C.create_string_buffer(256)
        check(self._lib.hr_govern_config_validate(C.byref(c), why, len(why)),
              lambda: dec(why.value))
        return c

    def _batch_config(self, c):
        """BatchThermalManager sets the batch fields."""

    def _new_governor(self, config):
        handle = C.c_void_p()
        check(self._lib.hr_govern_new(C.byref(config), C.byref(handle)), "hr_govern_new")
        return handle

    def _open_sensors(self, root, nvml_library):
        try:
            self._sensors = LiveProbe(root, nvml_library)
        except HeadroomError as exc:
            if self._config.policy == POLICY_SENSOR:
                raise
            warnings.warn("headroom: no in-process probe (%s); the timing policy decides" % exc,
                          RuntimeWarning, stacklevel=3)

    def close(self):
        """Frees the governor and closes the probe (also done when collected)."""
        if getattr(self, "_sensors", None) is not None:
            self._sensors.close()
            self._sensors = None
        if getattr(self, "_gov", None):
            self._lib.hr_govern_free(self._gov)
            self._gov = None

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ time and decisions

    def _now(self):
        t = max(int(_now_ns()), self._last_t)
        self._last_t = t
        return t

    def _stats(self):
        s = T.GovernStats()
        s.size = C.sizeof(s)
        check(self._lib.hr_govern_stats_get(self._gov, C.byref(s)), "hr_govern_stats_get")
        return s

    def _note(self, t_ns, d):
        if d.action == 0:
            return
        text = dec(d.text)
        self.decisions.append((t_ns, self._lib.hr_govern_action_name(d.action),
                               self._lib.hr_govern_reason_name(d.reason), text))
        if d.action == PAUSE:
            self._pause = (d.pause_s, text, d.policy)
        elif d.action == WARN and self.verbose:
            print("  \N{THERMOMETER}  %s" % text)

    def _feed_step(self, t_ns, elapsed, units):
        self._fed_t = t_ns
        d = T.GovernDecision()
        check(self._lib.hr_govern_step(self._gov, t_ns, elapsed, units, C.byref(d)),
              "hr_govern_step(%r s, %r units)" % (elapsed, units))
        self._note(t_ns, d)

    def _sample(self, force=False):
        """Feeds a sensor sample from the in-process probe (at most one per
        sample_interval unless FORCE). Returns the decision's action."""
        if self._sensors is None:
            return 0
        now = self._now()
        if not force and self._last_sample_ns is not None and \
                now - self._last_sample_ns < self.sample_interval * 1e9:
            return 0
        self._last_sample_ns = now
        self._fed_t = now
        self._sensors.refresh()
        s = T.GovernSensors()
        self._lib.hr_govern_sensors_from_probe(self._sensors.ptr, now, C.byref(s))
        d = T.GovernDecision()
        check(self._lib.hr_govern_sample(self._gov, C.byref(s), C.byref(d)), "hr_govern_sample")
        self._note(now, d)
        return d.action

    def _tick(self):
        d = T.GovernDecision()
        t = self._fed_t = self._now()
        check(self._lib.hr_govern_tick(self._gov, t, C.byref(d)), "hr_govern_tick")
        self._note(t, d)
        return d.action

    def _end_break(self):
        if self._stats().paused:
            self._fed_t = self._now()
            check(self._lib.hr_govern_break_ended(self._gov, self._fed_t), "break_ended")

    # ------------------------------------------------------------ the seed's API

    def record_timing(self, elapsed_time: float, units: Optional[float] = None) -> None:
        """Records one item of work that took ELAPSED_TIME seconds and did
        UNITS units of work (default 1; pass the denoising steps of an
        image when the baseline is per step)."""
        elapsed = float(elapsed_time)
        given_units = units is not None
        u = 1.0 if units is None else float(units)
        if not math.isfinite(elapsed) or elapsed < 0 or not math.isfinite(u) or u < 0:
            raise ValueError("record_timing needs elapsed >= 0 s and units >= 0 "
                             "(got %r, %r)" % (elapsed_time, units))
        prev = self._last_t
        t_end = self._now()
        if self._stats().paused and self._pause is not None:
            # A break was due and the loop worked on instead: the break
            # ended when this item started.
            self._fed_t = max(t_end - int(elapsed * 1e9), prev)
            check(self._lib.hr_govern_break_ended(self._gov, self._fed_t),
                  "hr_govern_break_ended")
            self._pause = None
        per_unit = elapsed / u if u > 0 else None
        if per_unit is not None:
            self.timings.append(per_unit)
            self.all_timings.append(per_unit)
        self._durations += elapsed
        self._units += u
        if hasattr(self, "current_batch_count"):
            self.current_batch_count += 1
        if given_units:
            self._unit_check = False
        if self._unit_check and per_unit is not None:
            self._check_units(t_end, elapsed, u, per_unit)
        else:
            self._flush_held()
            self._feed_step(t_end, elapsed, u)
        self._sample()

    def _check_units(self, t_end, elapsed, units, per_unit):
        """Holds the first calls while they all run critical_threshold x
        slower than the given baseline (see the module docstring)."""
        self._held.append((t_end, elapsed, units))
        if per_unit < self._given_baseline * self.critical_threshold:
            self._unit_check = False
            self._flush_held()
            return
        if len(self._held) < _UNIT_CHECK_CALLS:
            return
        self._unit_check = False
        ratio = min(e / u for _, e, u in self._held) / self._given_baseline
        warnings.warn(
            "headroom: the first %d record_timing() calls took %.1fx or more the "
            "baseline_time_per_step of %g s: each call seems to cover several %ss. Pass "
            "record_timing(elapsed, units=<%ss in the call>) to compare per %s; until then the "
            "baseline is learned from these timings instead of pausing before every item."
            % (len(self._held), ratio, self._given_baseline, self.unit, self.unit, self.unit),
            HeadroomUnitsWarning, stacklevel=3)
        self._config.baseline_s_per_unit = 0.0
        self._lib.hr_govern_free(self._gov)
        self._gov = None
        self._gov = self._new_governor(self._config)
        self._fed_t = 0
        self._flush_held()

    def _flush_held(self):
        held, self._held = self._held, []
        for t_end, elapsed, units in held:
            self._feed_step(max(t_end, self._fed_t), elapsed, units)

    def should_cool(self) -> bool:
        """True when the governor wants a break before the next item."""
        self._sample()
        return bool(self._stats().paused)

    def cooling_break(self, duration: Optional[float] = None) -> None:
        """Takes the break that is due, sleeping until the governor resumes
        (timing: the planned length; sensor: until cool, a plateau or the
        maximum). DURATION forces the length. Called when no break is due,
        it rests DURATION or cooling_duration seconds, as the seed did.
        Ctrl-C (KeyboardInterrupt) ends the break and propagates."""
        start = self._now()
        due = bool(self._stats().paused)
        if due:
            planned, text = (self._pause or (self.cooling_duration, "break due"))[:2]
        else:
            planned = self._manual_length(duration)
            text = "requested"
        if duration is not None:
            planned = float(duration)
        if self.verbose:
            print("  \N{THERMOMETER}\N{VARIATION SELECTOR-16}  Cooling break (%s) - up to %.0fs..."
                  % (text, planned))
        session = current_session()
        session_start = session.now_ns() if session is not None and session.recording else None
        self._in_break = True
        try:
            if due and duration is None:
                resumed = self._sleep_until_resume()
            else:
                self._sleep_for(planned)
                resumed = "ended after %.0f s" % ((self._now() - start) / 1e9)
                if due:
                    self._end_break()
        except KeyboardInterrupt:
            if due:
                self._end_break()
            self._after_break(due, start)
            self._log_break(session, session_start, text, "interrupted (Ctrl-C)")
            raise
        finally:
            self._in_break = False
        self._after_break(due, start)
        self._log_break(session, session_start, text, resumed)
        if self.verbose:
            print("  \N{CHECK MARK} Cooling complete (break #%d, %s)"
                  % (self.cooling_breaks_taken, resumed))

    def _manual_length(self, duration):
        return float(duration) if duration is not None else float(self.cooling_duration)

    @staticmethod
    def _log_break(session, start_ns, why, end):
        """An active headroom.Session gets the break as a cooling_break event."""
        if start_ns is None or not session.recording:
            return
        try:
            session.event("cooling_break", "%s; %s" % (why, end), start_ns=start_ns,
                          end_ns=max(session.now_ns(), start_ns))
        except HeadroomError as exc:
            warnings.warn("headroom: the cooling break was not recorded (%s)" % exc,
                          RuntimeWarning, stacklevel=3)

    def _after_break(self, due, start_ns):
        self._pause = None
        if not due:
            self._manual_breaks += 1
            self._manual_cooling_s += (self._now() - start_ns) / 1e9
        if hasattr(self, "current_batch_count"):
            self.current_batch_count = 0

    def _sleep_for(self, seconds):
        end = self._now() + int(seconds * 1e9)
        while True:
            left = (end - self._now()) / 1e9
            if left <= 0:
                return
            _sleep(min(left, _SLEEP_CHUNK_S))

    def _sleep_until_resume(self):
        """Sleeps in chunks, sampling and ticking, until RESUME."""
        while True:
            s = self._stats()
            if not s.paused:
                return self._last_resume_text()
            left = (s.break_until_ns - self._now()) / 1e9
            chunk = min(max(left, 0.0), _SLEEP_CHUNK_S)
            if self._sensors is not None:
                chunk = min(chunk, max(self.sample_interval, 0.01))
            if chunk > 0:
                _sleep(chunk)
            if self._sample(force=True) == RESUME or self._tick() == RESUME:
                return self._last_resume_text()

    def _last_resume_text(self):
        for _, action, _, text in reversed(self.decisions):
            if action == "resume":
                return text
        return "break over"

    def get_thermal_state(self) -> Optional[ThermalState]:
        """None until there is a baseline and a timing (as the seed)."""
        baseline = self.baseline
        if not self.timings or baseline is None:
            return None
        recent = sum(self.timings) / len(self.timings)
        ratio = baseline / recent if recent > 0 else float("inf")
        s = self._stats()
        return ThermalState(is_throttled=ratio < 1.0 / self.throttle_threshold,
                            performance_ratio=ratio, recent_times=list(self.timings),
                            baseline_time=baseline, paused=bool(s.paused),
                            policy=self._lib.hr_govern_policy_name(s.active_policy))

    # ------------------------------------------------------------ the seed's attributes

    @property
    def baseline(self):
        """Seconds per unit: given, or learned; None until known."""
        if self._held:
            return self._given_baseline
        return _nan_to_none(self._stats().baseline_s_per_unit)

    @property
    def cooling_breaks_taken(self):
        """Breaks taken: the governor's, less one that is due and not yet
        taken, plus breaks asked for when none was due."""
        s = self._stats()
        due = 1 if s.paused and not self._in_break else 0
        return int(s.breaks) - due + self._manual_breaks

    @property
    def total_cooling_time(self):
        return self._stats().break_total_s + self._manual_cooling_s

    @property
    def policy(self):
        return self._lib.hr_govern_policy_name(self._config.policy)

    def get_stats(self):
        """The seed's statistics (per unit) plus the governor's."""
        s = self._stats()
        if not self.all_timings and not self._units and not s.breaks and not self._manual_breaks:
            return {}
        state = self.get_thermal_state()
        return {
            "total_generations": int(s.steps) + len(self._held),
            "cooling_breaks_taken": self.cooling_breaks_taken,
            "total_cooling_time_seconds": self.total_cooling_time,
            "baseline_time_per_step": self.baseline,
            "current_performance_ratio": state.performance_ratio if state else None,
            "is_currently_throttled": state.is_throttled if state else False,
            "avg_time_per_step": self._durations / self._units if self._units else None,
            "min_time_per_step": min(self.all_timings) if self.all_timings else None,
            "max_time_per_step": max(self.all_timings) if self.all_timings else None,
            "unit": self.unit,
            "units": self._units,
            "policy": self.policy,
            "active_policy": self._lib.hr_govern_policy_name(s.active_policy),
            "critical_breaks": int(s.critical_breaks),
            "batch_breaks": int(s.batch_breaks),
            "sensor_breaks": int(s.sensor_breaks),
            "baseline_learned": bool(s.baseline_learned),
            "wall_time_seconds": s.wall_s,
            "productive_time_seconds": s.productive_s,
            "ideal_time_seconds": _nan_to_none(s.ideal_s),
            "throttle_loss_seconds": _nan_to_none(s.throttle_loss_s),
            "efficiency": _nan_to_none(s.efficiency),
        }

    def print_stats(self) -> None:
        """Prints the statistics in the seed's framed layout, per unit, with
        the efficiency figures the seed's document promised."""
        stats = self.get_stats()
        if not stats:
            print("No thermal statistics available yet.")
            return
        u = self.unit
        cool = stats["total_cooling_time_seconds"]

        def secs(v, suffix="s/%s" % u):
            return "N/A" if v is None else "%.2f%s" % (v, suffix)

        ratio = stats["current_performance_ratio"]
        print("\n" + "=" * 70)
        print("\N{THERMOMETER}\N{VARIATION SELECTOR-16}  THERMAL MANAGEMENT STATISTICS")
        print("=" * 70)
        print("Total Generations:        %d" % stats["total_generations"])
        print("Cooling Breaks Taken:     %d" % stats["cooling_breaks_taken"])
        print("Total Cooling Time:       %.1fs (%.1f min)" % (cool, cool / 60))
        print("\nPerformance:")
        print("  Baseline:               %s" % secs(stats["baseline_time_per_step"]))
        print("  Current Ratio:          %s" % ("N/A" if ratio is None else "%.2fx" % ratio))
        print("  Currently Throttled:    %s" % ("Yes" if stats["is_currently_throttled"]
                                                else "No"))
        print("\nTiming Range:")
        print("  Average:                %s" % secs(stats["avg_time_per_step"]))
        print("  Min:                    %s" % secs(stats["min_time_per_step"]))
        print("  Max:                    %s" % secs(stats["max_time_per_step"]))
        eff = stats["efficiency"]
        print("\nEfficiency:")
        print("  Wall Time:              %.1fs" % stats["wall_time_seconds"])
        print("  Productive Time:        %.1fs" % stats["productive_time_seconds"])
        print("  Ideal Time:             %s" % secs(stats["ideal_time_seconds"], "s"))
        print("  Throttle Loss:          %s" % secs(stats["throttle_loss_seconds"], "s"))
        print("  Efficiency:             %s" % ("N/A" if eff is None else "%.1f%%" % (eff * 100)))
        print("=" * 70 + "\n")


class BatchThermalManager(ThermalManager):
    """The seed's BatchThermalManager: a break of batch_cooling_duration
    every batch_size items, plus the timing rule. Any break restarts the
    count."""

    _default_policy = "batch"

    def __init__(self, batch_size: int = 10, batch_cooling_duration: float = 60, **kwargs):
        self.batch_size = batch_size
        self.batch_cooling_duration = batch_cooling_duration
        self.current_batch_count = 0
        super().__init__(**kwargs)

    def _batch_config(self, c):
        c.batch_size = int(self.batch_size)
        c.batch_break_s = float(self.batch_cooling_duration)

    def _manual_length(self, duration):
        if duration is None and self.current_batch_count >= self.batch_size:
            return float(self.batch_cooling_duration)
        return super()._manual_length(duration)
