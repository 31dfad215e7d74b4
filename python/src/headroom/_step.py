"""headroom.step(): report a finished step of the job.

Where it goes, first that applies:
  1. Under `headroom run`: the step channel the runner passes in the
     environment, HEADROOM_STEP_FD (a pipe's descriptor) or else
     HEADROOM_STEP_SOCKET (a datagram socket's path), one line per step in
     the protocol of docs/RUN.md:
         step=12 units=25 loss=0.31 grad_norm=1.2
  2. Else the innermost active headroom.Session (inside `with`).
  3. Else nowhere; a RuntimeWarning says so once.

This module needs no library: writing the channel is plain Python, so a
job under `headroom run` reports steps even where libheadroom is not
installed.
"""

import atexit
import math
import os
import re
import socket
import stat
import threading
import warnings

ENV_STEP_FD = "HEADROOM_STEP_FD"
ENV_STEP_SOCKET = "HEADROOM_STEP_SOCKET"
MAX_VALUES = 32  # named numbers per step (docs/RUN.md; dt included)
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.:/-]{0,46}$")
_RESERVED = ("step", "units")

_lock = threading.Lock()
_warned = set()
_dead = set()  # channels that failed once: not tried again
_checked = set()  # descriptors seen to be pipes
_sock = None


def _close_socket():
    global _sock
    if _sock is not None:
        _sock.close()
        _sock = None


atexit.register(_close_socket)


def _warn_once(key, text):
    with _lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn("headroom: " + text, RuntimeWarning, stacklevel=4)


def _number_text(name, value):
    v = float(value)
    if math.isinf(v):
        _warn_once("inf", "step value %s is infinite: sent as nan (unknown), the channel "
                   "refuses infinities" % name)
        v = float("nan")
    return "nan" if math.isnan(v) else repr(v)


def format_step_line(step, units=1, **numbers):
    """The channel line for a step, with a trailing newline. Raises
    ValueError for a step that the runner would refuse (a negative or
    fractional step, negative units, a bad name, too many numbers)."""
    if isinstance(step, bool) or int(step) != step or step < 0 or step > 9.0e15:
        raise ValueError("step must be a whole number >= 0 (got %r)" % (step,))
    u = float(units)
    if not math.isfinite(u) or u < 0:
        raise ValueError("units must be a finite number >= 0 (got %r)" % (units,))
    if len(numbers) > MAX_VALUES:
        raise ValueError("at most %d named numbers per step (got %d)"
                         % (MAX_VALUES, len(numbers)))
    parts = ["step=%d" % int(step), "units=%s" % repr(u)]
    for name, value in numbers.items():
        if not _NAME.match(name) or name in _RESERVED:
            raise ValueError("step value name %r: 1-47 characters of [A-Za-z0-9_.:/-], "
                             "starting with a letter or '_', not 'step' or 'units'" % name)
        if name == "dt" and not float(value) >= 0:
            raise ValueError("dt is the step's duration in seconds, >= 0 (got %r)" % (value,))
        parts.append("%s=%s" % (name, _number_text(name, value)))
    return " ".join(parts) + "\n"


def _write_fd(fd_text, line):
    try:
        fd = int(fd_text)
    except ValueError:
        _warn_once(("badfd", fd_text), "%s=%r is not a descriptor number; steps are not sent"
                   % (ENV_STEP_FD, fd_text))
        return False
    data = line.encode("ascii")
    try:
        if fd_text not in _checked:
            # The runner passes a pipe; a descriptor that is something else
            # (the variable leaked into a process whose descriptor numbers
            # were reused) is never written to.
            if not stat.S_ISFIFO(os.fstat(fd).st_mode):
                raise OSError("descriptor %d is not a pipe" % fd)
            _checked.add(fd_text)
        # One write of a line under PIPE_BUF is atomic: lines from threads
        # and forked workers never interleave.
        n = os.write(fd, data)
        if n != len(data):
            raise OSError("short write (%d of %d bytes)" % (n, len(data)))
        return True
    except OSError as exc:
        with _lock:
            _dead.add(("fd", fd_text))
        _warn_once(("fd", fd_text), "step channel %s=%s failed (%s); steps go to the active "
                   "session, if any" % (ENV_STEP_FD, fd_text, exc))
        return False


def _write_socket(path, line):
    global _sock
    try:
        with _lock:
            if _sock is None:
                _sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            sock = _sock
        sock.sendto(line.encode("ascii"), path)
        return True
    except OSError as exc:
        with _lock:
            _dead.add(("socket", path))
        _warn_once(("socket", path), "step socket %s=%s failed (%s); steps go to the active "
                   "session, if any" % (ENV_STEP_SOCKET, path, exc))
        return False


def under_run():
    """True when the process has a usable `headroom run` step channel."""
    fd = os.environ.get(ENV_STEP_FD)
    if fd and ("fd", fd) not in _dead:
        return True
    path = os.environ.get(ENV_STEP_SOCKET)
    return bool(path) and ("socket", path) not in _dead


def step(step, units=1, **numbers):
    """Reports step STEP (the job's own number) that did UNITS units of
    work, with named NUMBERS (loss=0.31, grad_norm=1.2, lr=...; floats or
    anything float() accepts, such as a 0-d tensor). Returns where it went:
    "run", "session" or None."""
    line = format_step_line(step, units, **numbers)
    fd = os.environ.get(ENV_STEP_FD)
    if fd and ("fd", fd) not in _dead and _write_fd(fd, line):
        return "run"
    path = os.environ.get(ENV_STEP_SOCKET)
    if path and ("socket", path) not in _dead and _write_socket(path, line):
        return "run"
    from ._session import current_session

    session = current_session()
    if session is not None and session.recording:
        session.mark_step(int(step), units=float(units), **numbers)
        return "session"
    _warn_once("nowhere", "headroom.step() outside `headroom run` and outside a Session: "
               "steps are not recorded (use `with headroom.record(path):`)")
    return None
