"""headroom.Session / headroom.record(): an in-process recorder writing a
session file (docs/SESSION.md), and read_session() to read one back.

    with headroom.record("train.hrs", hz=1) as session:
        for step in range(steps):
            loss = train_step()
            session.mark_step(step, units=batch_size, loss=loss)

The sampling runs on the C recorder's own threads (hr_record.h): Python
only adds steps and events, which may come from any thread. While a
session is active (inside `with`), headroom.step() records into it when
the process is not under `headroom run`.
"""

import ctypes as C
import dataclasses
import json
import math
import os
import threading
from typing import Dict, List, Optional

from . import _types as T
from ._context import Context
from ._lib import check, dec, enc, known, lib, take_string

HR_SESSION_OVERWRITE = 0x1
HR_SESSION_READONLY = 0x2
HR_ENOENT = 15

_active = []  # sessions inside `with`, most recent last
_active_lock = threading.Lock()


def current_session():
    """The innermost active Session, or None."""
    with _active_lock:
        return _active[-1] if _active else None


def _numbers(numbers):
    """Names and values arrays for the C calls; values become floats (a
    tensor's __float__ works); NaN is stored as unknown."""
    names = [enc(k) for k in numbers]
    values = [float(v) for v in numbers.values()]
    n = len(names)
    return (C.c_char_p * max(n, 1))(*names), (C.c_double * max(n, 1))(*values), n


class Session:
    """A recording into a new session file at PATH.

    HZ ticks per second (at most 1000); DURATION seconds stops sampling by
    itself (None: until the session ends); OVERWRITE replaces an existing
    file; RLE computes the efficiency index and collapse events per
    component; TAGS and META (dicts of str) are stored with the session.
    ROOT / NVML_LIBRARY as for headroom.probe(). Start it with `with` (or
    start() / stop()). Errors raise HeadroomError with the library's
    detail (the file, the SQLite code, errno)."""

    def __init__(self, path, hz=1.0, duration=None, overwrite=False, rle=True, tags=None,
                 meta=None, root=None, nvml_library=None, writer_thread=True):
        self.path = str(path)
        self.hz = float(hz)
        self.duration = duration
        self.overwrite = overwrite
        self.rle = rle
        self.tags = dict(tags or {})
        self.meta = dict(meta or {})
        self._root = root
        self._nvml = nvml_library
        self._writer_thread = writer_thread
        self._ctx = None
        self._session = None
        self._rec = None
        self._pid = None
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def _session_error(self):
        return lib().hr_session_last_error(self._session) if self._session else ""

    def start(self):
        """Creates the file and starts the recorder thread."""
        L = lib()
        if self._rec is not None:
            raise RuntimeError("session %s is already recording" % self.path)
        self._ctx = Context(self._root, self._nvml)
        try:
            handle = C.c_void_p()
            flags = HR_SESSION_OVERWRITE if self.overwrite else 0
            check(L.hr_session_create(self._ctx.handle, enc(self.path), flags, C.byref(handle)),
                  self._ctx.last_error)
            self._session = handle
            for key, value in self.tags.items():
                check(L.hr_session_set_tag(handle, enc(key), enc(value)), self._session_error)
            for key, value in self.meta.items():
                check(L.hr_session_set_meta(handle, enc(key), enc(value)), self._session_error)
            cfg = T.RecordConfig()
            L.hr_record_config_defaults(C.byref(cfg))
            cfg.hz = self.hz
            cfg.duration_ns = int(self.duration * 1e9) if self.duration else 0
            cfg.rle = 1 if self.rle else 0
            cfg.writer_thread = 1 if self._writer_thread else 0
            rec = C.c_void_p()
            check(L.hr_recorder_start(self._ctx.handle, handle, C.byref(cfg), C.byref(rec)),
                  lambda: self._ctx.last_error() or self._session_error())
            self._rec = rec
            self._pid = os.getpid()
        except BaseException:
            self._close_session()
            raise
        return self

    def stop(self):
        """Stops the recorder (the session is marked finished) and closes
        the file. Raises HeadroomError when the recording met an error."""
        L = lib()
        if self._pid is not None and self._pid != os.getpid():
            return  # a forked child's copy: the parent stops the recorder
        with self._lock:
            rec, self._rec = self._rec, None
        status = 0
        detail = ""
        if rec is not None:
            status = L.hr_recorder_stop(rec)
            detail = self._session_error()
        self._close_session()
        check(status, detail)

    def _close_session(self):
        L = lib()
        if self._session:
            L.hr_session_close(self._session)
            self._session = None
        if self._ctx is not None:
            self._ctx.close()
            self._ctx = None

    def __enter__(self):
        self.start()
        with _active_lock:
            _active.append(self)
        return self

    def __exit__(self, exc_type, exc, tb):
        with _active_lock:
            if self in _active:
                _active.remove(self)
        if exc_type is not None and self._rec is not None:
            try:
                self.event("error", "%s: %s" % (exc_type.__name__, exc))
            except Exception:
                pass
        self.stop()

    def __del__(self):
        try:
            if self._rec is not None:
                self.stop()
        except Exception:
            pass

    @property
    def recording(self):
        """True while recording, in the process that started it (a forked
        child, such as a DataLoader worker, must not touch the parent's
        recorder: its threads do not exist there)."""
        return self._rec is not None and self._pid == os.getpid()

    def _recorder(self):
        if self._rec is None:
            raise RuntimeError("session %s is not recording (use it inside `with`)" % self.path)
        if self._pid != os.getpid():
            raise RuntimeError("session %s records in process %d, not in this one (%d)"
                               % (self.path, self._pid, os.getpid()))
        return self._rec

    # ------------------------------------------------------------ steps and events

    def mark_step(self, step, units=None, **numbers):
        """Records step STEP of the job (its own number), ending now, with
        UNITS units of work (None: unknown) and named NUMBERS (loss=...,
        grad_norm=...). Its duration is the time since the previous step."""
        index = int(step)
        u = float("nan") if units is None else float(units)
        names, values, n = _numbers(numbers)
        rec = self._recorder()
        check(lib().hr_recorder_add_step(rec, index, u, names, values, n), self._session_error)

    def now_ns(self):
        """The recorder's clock (CLOCK_MONOTONIC nanoseconds)."""
        return lib().hr_recorder_now_ns(self._recorder())

    def event(self, kind, detail="", start_ns=None, end_ns=None):
        """Records an event of KIND ("mark", "cooling_break", ...; at most 31
        bytes) with DETAIL in words. START_NS / END_NS are on the recorder's
        clock (now_ns()); by default the event is an instant, now. END_NS=0
        leaves it open."""
        rec = self._recorder()
        now = lib().hr_recorder_now_ns(rec)
        start = now if start_ns is None else int(start_ns)
        end = start if end_ns is None else int(end_ns)
        check(lib().hr_recorder_add_event(rec, enc(kind), start, end, enc(detail)),
              self._session_error)

    def stats(self):
        """The recorder's figures so far (ticks, missed, rates, latencies)."""
        s = T.RecordStats()
        s.size = C.sizeof(s)
        check(lib().hr_recorder_stats(self._recorder(), C.byref(s)), self._session_error)
        out = {name: getattr(s, name) for name, _ in T.RecordStats._fields_
               if name not in ("size", "error")}
        out["error"] = dec(s.error)
        return out

    def latest(self, component, metric):
        """The latest tick's value of channel COMPONENT/METRIC in its stored
        unit, or None when unknown on that tick."""
        r = T.Reading()
        check(lib().hr_recorder_latest(self._recorder(), enc(component), enc(metric),
                                       C.byref(r)), self._session_error)
        return r.v if known(r) else None


def record(path, hz=1.0, **kwargs):
    """A Session at PATH (see Session); use it with `with`."""
    return Session(path, hz=hz, **kwargs)


# ---------------------------------------------------------------- reading back


@dataclasses.dataclass
class StepRecord:
    index: int
    t_mono_ns: int
    t_wall_ns: int
    duration_s: Optional[float]
    units: Optional[float]
    values: Dict[str, Optional[float]]


@dataclasses.dataclass
class EventRecord:
    id: int
    kind: str
    start_mono_ns: int
    end_mono_ns: Optional[int]
    detail: str


@dataclasses.dataclass
class SessionData:
    path: str
    state: str
    info: Dict[str, float]
    meta: dict
    channels: List[Dict[str, object]]
    steps: List[StepRecord]
    events: List[EventRecord]


def _cursor_rows(open_fn, next_fn, free_fn, session, row, convert, detail):
    cur = C.c_void_p()
    check(open_fn(session, C.byref(cur)), detail)
    out = []
    try:
        while True:
            status = next_fn(cur, C.byref(row))
            if status == HR_ENOENT:
                return out
            check(status, detail)
            out.append(convert(row))
    finally:
        free_fn(cur)


def _step_record(s):
    values = {}
    for i in range(s.nvalues):
        v = s.values[i]
        values[dec(s.names[i])] = None if math.isnan(v) else v
    return StepRecord(index=s.index, t_mono_ns=s.t_mono_ns, t_wall_ns=s.t_wall_ns,
                      duration_s=s.duration_ns / 1e9 if s.duration_ns >= 0 else None,
                      units=None if math.isnan(s.units) else s.units, values=values)


def _event_record(e):
    return EventRecord(id=e.id, kind=dec(e.kind), start_mono_ns=e.start_mono_ns,
                       end_mono_ns=e.end_mono_ns or None, detail=dec(e.detail))


def read_session(path):
    """Reads a session file (read-only): its summary, metadata, channels,
    steps and events."""
    L = lib()
    with Context() as ctx:
        handle = C.c_void_p()
        check(L.hr_session_open(ctx.handle, enc(str(path)), HR_SESSION_READONLY,
                                C.byref(handle)), ctx.last_error)
        try:
            def detail():
                return L.hr_session_last_error(handle)

            info = T.SessionInfo()
            info.size = C.sizeof(info)
            check(L.hr_session_info_get(handle, C.byref(info)), detail)
            out = C.c_void_p()
            check(L.hr_session_meta_json(handle, 0, C.byref(out)), detail)
            meta = json.loads(take_string(out))
            channels = []
            for i in range(L.hr_session_channel_count(handle)):
                ch = L.hr_session_channel(handle, i).contents
                channels.append({"id": ch.id, "component": dec(ch.component),
                                 "metric": dec(ch.metric), "unit": dec(ch.unit),
                                 "base_unit": dec(ch.base_unit), "scale": ch.scale,
                                 "label": dec(ch.label)})
            steps = _cursor_rows(L.hr_session_steps, L.hr_step_cursor_next,
                                 L.hr_step_cursor_free, handle, T.Step(), _step_record, detail)
            events = _cursor_rows(L.hr_session_events, L.hr_event_cursor_next,
                                  L.hr_event_cursor_free, handle, T.Event(), _event_record,
                                  detail)
            summary = {name: getattr(info, name) for name, _ in T.SessionInfo._fields_
                       if name != "size"}
            return SessionData(path=str(path), state=L.hr_session_state_name(info.state),
                               info=summary, meta=meta, channels=channels, steps=steps,
                               events=events)
        finally:
            L.hr_session_close(handle)
