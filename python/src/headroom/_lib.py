"""Loading libheadroom, its prototypes, and the one place strings cross.

Where the library comes from, first match wins:
  1. HEADROOM_LIB, a path to the library file. When set, nothing else is
     tried: a wrong path is an error, never a silent fallback.
  2. Running from the source tree (this file at <repo>/python/src/headroom/):
     <repo>/build/libheadroom.so.0 (the `make` build), when it exists.
  3. The versioned soname, libheadroom.so.0 (macOS: libheadroom.0.dylib),
     through the system's library search (LD_LIBRARY_PATH, ld.so.cache).
The unversioned libheadroom.so is never loaded: it may be a different ABI.

After loading, the library must report the ABI this binding was written
for (hr_abi_version() == ABI_VERSION), every ctypes mirror in _types must
have the size the library reports (hr_struct_size), and every status name
must agree; otherwise HeadroomError_NotSupported explains what differs.

Every C function the binding calls is in PROTOTYPES with its restype and
argtypes. Strings go through enc() and dec() only.
"""

import ctypes as C
import os
import sys
import threading
from pathlib import Path

from . import _errors
from . import _types as T

ABI_VERSION = 1
SONAME = "libheadroom.0.dylib" if sys.platform == "darwin" else "libheadroom.so.0"

# ---------------------------------------------------------------- strings


def enc(text):
    """str (or bytes, or os.PathLike) -> bytes for a const char * argument.
    None stays None (a NULL pointer). Paths keep undecodable bytes
    (surrogateescape, as os.fsencode does)."""
    if text is None:
        return None
    if isinstance(text, bytes):
        return text
    if isinstance(text, os.PathLike):
        return os.fsencode(text)
    return str(text).encode("utf-8", "surrogateescape")


def dec(raw):
    """bytes from C (a char array or a const char *) -> str. NULL -> ""."""
    if raw is None:
        return ""
    if isinstance(raw, str):
        return raw
    return bytes(raw).split(b"\0", 1)[0].decode("utf-8", "replace")


def take_string(ptr):
    """A char * the library allocated for the caller: copied to str, then
    released with hr_free."""
    if not ptr:
        return ""
    try:
        return dec(C.string_at(ptr))
    finally:
        lib().hr_free(ptr)


# ---------------------------------------------------------------- prototypes

TEXT = object()  # a const char * result, decoded with dec()

P = C.POINTER
vp = C.c_void_p
pvp = P(C.c_void_p)
cs = C.c_char_p
i32, i64, f64, u64 = C.c_int32, C.c_int64, C.c_double, C.c_uint64
st = C.c_int  # hr_status
sz = C.c_size_t
PErr = P(T.PlanError)
PProbe = P(T.Probe)
PDev = P(T.PlanDevice)

PROTOTYPES = {
    # version, binding, status
    "hr_version": (TEXT, []),
    "hr_abi_version": (C.c_int, []),
    "hr_struct_size": (sz, [cs]),
    "hr_struct_count": (sz, []),
    "hr_struct_name": (TEXT, [sz]),
    "hr_status_name": (TEXT, [C.c_int]),
    "hr_strerror": (TEXT, [C.c_int]),
    "hr_why_name": (TEXT, [C.c_int]),
    "hr_why_text": (TEXT, [C.c_int]),
    "hr_throttle_reasons_text": (C.c_int, [u64, C.c_char_p, sz]),
    "hr_free": (None, [vp]),
    # context and probe
    "hr_ctx_new": (st, [pvp]),
    "hr_ctx_free": (None, [vp]),
    "hr_ctx_set_root": (st, [vp, cs]),
    "hr_ctx_root": (TEXT, [vp]),
    "hr_ctx_set_nvml_library": (st, [vp, cs]),
    "hr_ctx_last_error": (TEXT, [vp]),
    "hr_probe_open": (st, [vp, P(PProbe)]),
    "hr_probe_refresh": (st, [PProbe]),
    "hr_probe_free": (None, [PProbe]),
    "hr_probe_to_json": (st, [PProbe, C.c_int, pvp]),
    # planner
    "hr_plan_dtype_name": (TEXT, [C.c_int]),
    "hr_plan_parse_bytes": (st, [cs, P(i64), PErr]),
    "hr_plan_parse_params": (st, [cs, P(i64), PErr]),
    "hr_plan_parse_image_size": (st, [cs, P(i32), P(i32), PErr]),
    "hr_plan_parse_dtype": (st, [cs, P(i32), PErr]),
    "hr_plan_parse_device_kind": (st, [cs, P(i32), PErr]),
    "hr_plan_parse_pipeline": (st, [cs, P(i32), PErr]),
    "hr_plan_device_init": (None, [PDev]),
    "hr_plan_device_from_probe": (st, [PProbe, PDev]),
    "hr_plan_device_assume": (st, [C.c_int, i64, i64, C.c_int, PDev, PErr]),
    "hr_plan_device_kind_name": (TEXT, [C.c_int]),
    "hr_plan_model_facts_init": (None, [P(T.PlanModelFacts)]),
    "hr_plan_model_facts_from_id": (st, [P(T.PlanModelFacts), cs, PErr]),
    "hr_plan_model_dir_read": (st, [cs, P(T.PlanModelFacts), PErr]),
    "hr_plan_model_opts_init": (None, [P(T.PlanModelOpts)]),
    "hr_plan_verdict_name": (TEXT, [C.c_int]),
    "hr_plan_model": (st, [P(T.PlanModelFacts), PDev, P(T.PlanModelOpts),
                           P(T.PlanModelResult), PErr]),
    "hr_plan_dconf_new": (st, [pvp]),
    "hr_plan_dconf_free": (None, [vp]),
    "hr_plan_dconf_config_path": (None, [vp, cs, P(cs), P(cs), C.c_char_p, sz]),
    "hr_plan_dconf_load_file": (st, [vp, cs, PErr]),
    "hr_plan_dconf_apply_json": (st, [vp, cs, sz, cs, PErr]),
    "hr_plan_dconf_apply_env": (st, [vp, P(cs), PErr]),
    "hr_plan_dconf_set": (st, [vp, cs, cs, cs, PErr]),
    "hr_plan_dconf_explain_count": (sz, [vp]),
    "hr_plan_dconf_explain_line": (TEXT, [vp, sz]),
    "hr_plan_pipeline_name": (TEXT, [C.c_int]),
    "hr_plan_level_name": (TEXT, [C.c_int]),
    "hr_plan_diffusion_req_init": (None, [P(T.PlanDiffusionReq)]),
    "hr_plan_diffusion": (st, [vp, PDev, P(T.PlanDiffusionReq), P(T.PlanDiffusionResult),
                               PErr]),
    "hr_plan_cache_req_init": (None, [P(T.PlanCacheReq)]),
    "hr_plan_placement_name": (TEXT, [C.c_int]),
    "hr_plan_cache": (st, [PDev, P(T.PlanCacheReq), P(T.PlanCacheResult), PErr]),
    "hr_plan_model_to_json": (st, [P(T.PlanModelResult), C.c_int, pvp]),
    "hr_plan_diffusion_to_json": (st, [P(T.PlanDiffusionResult), vp, C.c_int, C.c_int, pvp]),
    "hr_plan_cache_to_json": (st, [P(T.PlanCacheResult), C.c_int, pvp]),
    "hr_plan_model_to_text": (st, [P(T.PlanModelResult), C.c_int, pvp]),
    "hr_plan_diffusion_to_text": (st, [P(T.PlanDiffusionResult), vp, C.c_int, C.c_int, pvp]),
    "hr_plan_cache_to_text": (st, [P(T.PlanCacheResult), C.c_int, pvp]),
    # governor
    "hr_govern_config_defaults": (None, [P(T.GovernConfig)]),
    "hr_govern_config_validate": (st, [P(T.GovernConfig), C.c_char_p, sz]),
    "hr_govern_new": (st, [P(T.GovernConfig), pvp]),
    "hr_govern_free": (None, [vp]),
    "hr_govern_step": (st, [vp, i64, f64, f64, P(T.GovernDecision)]),
    "hr_govern_sample": (st, [vp, P(T.GovernSensors), P(T.GovernDecision)]),
    "hr_govern_tick": (st, [vp, i64, P(T.GovernDecision)]),
    "hr_govern_break_ended": (st, [vp, i64]),
    "hr_govern_stats_get": (st, [vp, P(T.GovernStats)]),
    "hr_govern_sensors_from_probe": (None, [PProbe, i64, P(T.GovernSensors)]),
    "hr_govern_policy_name": (TEXT, [C.c_int]),
    "hr_govern_reason_name": (TEXT, [C.c_int]),
    "hr_govern_action_name": (TEXT, [C.c_int]),
    "hr_govern_policy_from_name": (st, [cs, P(C.c_int)]),
    # session store
    "hr_session_create": (st, [vp, cs, C.c_uint, pvp]),
    "hr_session_open": (st, [vp, cs, C.c_uint, pvp]),
    "hr_session_close": (st, [vp]),
    "hr_session_last_error": (TEXT, [vp]),
    "hr_session_path": (TEXT, [vp]),
    "hr_session_set_meta": (st, [vp, cs, cs]),
    "hr_session_set_tag": (st, [vp, cs, cs]),
    "hr_session_info_get": (st, [vp, P(T.SessionInfo)]),
    "hr_session_meta_json": (st, [vp, C.c_int, pvp]),
    "hr_session_channel_count": (sz, [vp]),
    "hr_session_channel": (P(T.Channel), [vp, sz]),
    "hr_session_steps": (st, [vp, pvp]),
    "hr_step_cursor_next": (st, [vp, P(T.Step)]),
    "hr_step_cursor_free": (None, [vp]),
    "hr_session_events": (st, [vp, pvp]),
    "hr_event_cursor_next": (st, [vp, P(T.Event)]),
    "hr_event_cursor_free": (None, [vp]),
    "hr_session_state_name": (TEXT, [C.c_int]),
    # recorder
    "hr_record_config_defaults": (None, [P(T.RecordConfig)]),
    "hr_recorder_start": (st, [vp, vp, P(T.RecordConfig), pvp]),
    "hr_recorder_add_step": (st, [vp, i64, f64, P(cs), P(f64), sz]),
    "hr_recorder_add_event": (st, [vp, cs, i64, i64, cs]),
    "hr_recorder_now_ns": (i64, [vp]),
    "hr_recorder_stats": (st, [vp, P(T.RecordStats)]),
    "hr_recorder_latest": (st, [vp, cs, cs, P(T.Reading)]),
    "hr_recorder_stop": (st, [vp]),
    # runner (the binding's tests drive a real run through these)
    "hr_run_config_defaults": (None, [P(T.RunConfig)]),
    "hr_run_start": (st, [vp, P(T.RunConfig), pvp]),
    "hr_run_poll": (st, [vp, i64, P(T.RunEvent)]),
    "hr_run_stats_get": (st, [vp, P(T.RunStats)]),
    "hr_run_free": (None, [vp]),
}


def _decode_result(result, func, args):
    return dec(result)


def _bind(handle, name, restype, argtypes):
    try:
        fn = getattr(handle, name)
    except AttributeError:
        return False
    if restype is TEXT:
        fn.restype = C.c_char_p
        fn.errcheck = _decode_result
    else:
        fn.restype = restype
    fn.argtypes = argtypes
    return True


# ---------------------------------------------------------------- loading


def source_tree_library():
    """<repo>/build/SONAME when this package runs from the source tree and
    that file exists, else None."""
    here = Path(__file__).resolve()
    if len(here.parents) < 4:
        return None
    repo = here.parents[3]
    if here.parents[1].name != "src" or here.parents[2].name != "python":
        return None
    if not (repo / "include" / "headroom" / "headroom.h").is_file():
        return None
    candidate = repo / "build" / SONAME
    return str(candidate) if candidate.exists() else None


def candidates():
    """The places tried, in order (see the module docstring)."""
    env = os.environ.get("HEADROOM_LIB")
    if env:
        return [env]
    found = []
    tree = source_tree_library()
    if tree:
        found.append(tree)
    found.append(SONAME)
    return found


class Library:
    """The loaded library: attribute access gives the prototyped functions."""

    def __init__(self, handle, path):
        self._handle = handle
        self.path = path

    def __getattr__(self, name):
        if name not in PROTOTYPES:
            raise AttributeError("%s is not prototyped in headroom._lib.PROTOTYPES" % name)
        fn = getattr(self._handle, name)
        setattr(self, name, fn)
        return fn


def _open(tried):
    errors = []
    for path in tried:
        try:
            return C.CDLL(path), path
        except OSError as exc:
            errors.append("%s: %s" % (path, exc))
    hint = ("set HEADROOM_LIB to the library's path, build it with `make`, or install it "
            "so that %s is found" % SONAME)
    raise _errors.make_error(5, "libheadroom not found (%s); %s" % ("; ".join(errors), hint))


def _check(handle, path):
    """Prototypes every function, then checks ABI, struct sizes and status
    names. Returns a list of problems (empty when the library is usable)."""
    missing = [n for n, (r, a) in PROTOTYPES.items() if not _bind(handle, n, r, a)]
    if missing:
        return ["%s lacks %s" % (path, ", ".join(sorted(missing)))]
    abi = handle.hr_abi_version()
    if abi != ABI_VERSION:
        return ["%s has ABI %d; this binding was written for ABI %d" % (path, abi, ABI_VERSION)]
    problems = []
    for mirror in T.MIRRORS:
        want = handle.hr_struct_size(enc(mirror._cname_))
        have = C.sizeof(mirror)
        if want != have:
            problems.append("%s is %d bytes in the library, %d in the binding"
                            % (mirror._cname_, want, have))
    problems += _errors.sync(handle.hr_status_name, handle.hr_strerror)
    return problems


_lock = threading.Lock()
_loaded = None


def lib():
    """The loaded, checked library (loaded on first use; thread-safe).
    Raises HeadroomError_NoLibrary when it cannot be found and
    HeadroomError_NotSupported when it does not match this binding."""
    global _loaded
    if _loaded is not None:
        return _loaded
    with _lock:
        if _loaded is None:
            handle, path = _open(candidates())
            problems = _check(handle, path)
            if problems:
                raise _errors.make_error(3, "%s does not match this binding: %s"
                                         % (path, "; ".join(problems)))
            _loaded = Library(handle, path)
    return _loaded


# ---------------------------------------------------------------- status checks


def check(status, detail=""):
    """Raises the HeadroomError subclass for STATUS (with DETAIL, a string
    or a function returning one) unless STATUS is HR_OK."""
    if status == 0:
        return
    if callable(detail):
        detail = detail()
    raise _errors.make_error(status, detail)


def plan_error_text(err):
    """An hr_plan_error as one line: "what: why (hint)"."""
    what, why, hint = dec(err.what), dec(err.why), dec(err.hint)
    text = "%s: %s" % (what, why) if what else why
    return "%s (%s)" % (text, hint) if hint else text


def known(reading):
    """True when an hr_reading holds a value."""
    return reading.why == T.HR_WHY_KNOWN
