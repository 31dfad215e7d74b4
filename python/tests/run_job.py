"""A minimal runner over the library's hr_run API (hr_run.h), for the
step-channel test: runs argv[1:] with a step pipe (HEADROOM_STEP_FD), the
job's output to /dev/null, and prints one JSON line per step the library
parsed from the channel, then {"exit": code}. Runs in its own process
because a run installs signal handlers and reaps children."""

import ctypes as C
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

from headroom import _lib  # noqa: E402
from headroom import _types as T  # noqa: E402
from headroom._context import Context  # noqa: E402

EV_STEP, EV_EXIT = 1, 6
SOURCE_CHANNEL = 2


def main(argv):
    L = _lib.lib()
    devnull = os.open(os.devnull, os.O_WRONLY)
    args = (C.c_char_p * (len(argv) + 1))(*[_lib.enc(a) for a in argv], None)
    cfg = T.RunConfig()
    L.hr_run_config_defaults(C.byref(cfg))
    cfg.argv = args
    cfg.io = 1  # pipes
    cfg.parse_progress = 0
    cfg.step_socket = 0
    cfg.stdout_fd = devnull
    cfg.stderr_fd = devnull
    with Context() as ctx:
        run = C.c_void_p()
        _lib.check(L.hr_run_start(ctx.handle, C.byref(cfg), C.byref(run)), ctx.last_error)
        try:
            ev = T.RunEvent()
            while True:
                _lib.check(L.hr_run_poll(run, 10 * 10**9, C.byref(ev)), "hr_run_poll")
                if ev.kind == EV_STEP:
                    values = {_lib.dec(ev.names[i]): ev.values[i] for i in range(ev.nvalues)}
                    print(json.dumps({"step": ev.index, "units": ev.units,
                                      "channel": ev.source == SOURCE_CHANNEL,
                                      "values": {k: (None if v != v else v)
                                                 for k, v in values.items()}}), flush=True)
                elif ev.kind == EV_EXIT:
                    stats = T.RunStats()
                    stats.size = C.sizeof(stats)
                    L.hr_run_stats_get(run, C.byref(stats))
                    print(json.dumps({"exit": ev.exit_code,
                                      "malformed": stats.channel_malformed,
                                      "last_malformed": _lib.dec(stats.last_malformed)}),
                          flush=True)
                    return 0
        finally:
            L.hr_run_free(run)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
