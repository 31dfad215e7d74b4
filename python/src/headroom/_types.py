"""ctypes mirrors of libheadroom's public structs.

Every class here copies one struct of include/headroom/*.h field by field,
in order, with the same C types, so that ctypes lays it out as the C
compiler does. The library tells its own sizes (hr_struct_size in
hr_binding.h); _lib.load() compares every mirror in MIRRORS with them and
refuses a library whose layout differs. Units are in the C field names
(_mc millidegrees, _mw milliwatts, _ppm parts per million, _ns
nanoseconds, ...); conversion to base units happens in _probe.py.
"""

import ctypes as C

i32 = C.c_int32
u32 = C.c_uint32
i64 = C.c_int64
u64 = C.c_uint64
f64 = C.c_double
size_t = C.c_size_t


def chars(n):
    """A char[n] field: ctypes returns it as bytes up to the first NUL."""
    return C.c_char * n


class Struct(C.Structure):
    """Base of every mirror: the C name it mirrors is kept in _cname_."""

    _cname_ = ""


# ---------------------------------------------------------------- probe

class Reading(Struct):
    _cname_ = "hr_reading"
    _fields_ = [("v", i64), ("why", i32), ("err", i32)]


HR_WHY_KNOWN = 1
HR_MAX_TRIPS = 12
HR_TCOUNT_COUNT = 5


class HostInfo(Struct):
    _cname_ = "hr_host_info"
    _fields_ = [
        ("os", chars(32)), ("os_release", chars(64)), ("kernel", chars(96)), ("arch", chars(16)),
        ("hostname", chars(64)), ("machine_model", chars(96)), ("cpu_model", chars(128)),
        ("cpus_logical", Reading), ("cores_physical", Reading), ("packages", Reading),
        ("cores_performance", Reading), ("cores_efficiency", Reading), ("uptime_ns", Reading),
    ]


class CpuCore(Struct):
    _cname_ = "hr_cpu_core"
    _fields_ = [
        ("cpu", i32), ("reserved", i32), ("util_ppm", Reading), ("iowait_ppm", Reading),
        ("clock_mhz", Reading), ("clock_max_mhz", Reading), ("throttle_count", Reading),
    ]


class CpuInfo(Struct):
    _cname_ = "hr_cpu_info"
    _fields_ = [
        ("util_ppm", Reading), ("iowait_ppm", Reading), ("temp_mc", Reading),
        ("temp_crit_mc", Reading), ("package_throttle_count", Reading), ("power_mw", Reading),
        ("temp_source", chars(64)),
    ]


class Psi(Struct):
    _cname_ = "hr_psi"
    _fields_ = [
        ("some_avg10_ppm", Reading), ("some_avg60_ppm", Reading), ("full_avg10_ppm", Reading),
        ("some_total_us", Reading),
    ]


class MemInfo(Struct):
    _cname_ = "hr_mem_info"
    _fields_ = [
        ("total_bytes", Reading), ("available_bytes", Reading), ("swap_total_bytes", Reading),
        ("swap_free_bytes", Reading), ("cgroup_limit_bytes", Reading),
        ("cgroup_usage_bytes", Reading), ("budget_bytes", Reading),
        ("psi_memory", Psi), ("psi_cpu", Psi), ("psi_io", Psi),
        ("pressure_level", Reading), ("vm_pressure_level", Reading),
        ("memorystatus_level", Reading), ("thermal_pressure", Reading),
        ("cgroup_version", i32), ("reserved", i32),
    ]


class Sensor(Struct):
    _cname_ = "hr_sensor"
    _fields_ = [
        ("chip", chars(32)), ("label", chars(64)), ("device", chars(64)), ("kind", i32),
        ("reserved", i32), ("value", Reading), ("max", Reading), ("crit", Reading),
    ]


class TripPoint(Struct):
    _cname_ = "hr_trip_point"
    _fields_ = [("type", chars(16)), ("temp_mc", Reading)]


class ThermalZone(Struct):
    _cname_ = "hr_thermal_zone"
    _fields_ = [
        ("name", chars(32)), ("type", chars(32)), ("temp_mc", Reading), ("ntrips", i32),
        ("reserved", i32), ("trips", TripPoint * HR_MAX_TRIPS),
    ]


class RaplDomain(Struct):
    _cname_ = "hr_rapl_domain"
    _fields_ = [
        ("name", chars(32)), ("path", chars(64)), ("energy_uj", Reading),
        ("max_energy_range_uj", Reading), ("power_mw", Reading),
    ]


class GpuInfo(Struct):
    _cname_ = "hr_gpu_info"
    _fields_ = [
        ("index", i32), ("vendor", i32), ("lost", i32), ("unified_memory", i32),
        ("backend", chars(16)), ("name", chars(96)), ("uuid", chars(96)), ("pci_bus", chars(32)),
        ("driver_version", chars(32)),
        ("mem_total_bytes", Reading), ("mem_used_bytes", Reading), ("mem_free_bytes", Reading),
        ("util_ppm", Reading), ("mem_util_ppm", Reading), ("temp_mc", Reading),
        ("temp_slowdown_mc", Reading), ("temp_shutdown_mc", Reading), ("temp_max_mc", Reading),
        ("temp_margin_mc", Reading), ("temp_hotspot_mc", Reading), ("temp_mem_mc", Reading),
        ("power_mw", Reading), ("power_limit_mw", Reading), ("energy_mj", Reading),
        ("clock_sm_mhz", Reading), ("clock_sm_max_mhz", Reading), ("clock_mem_mhz", Reading),
        ("clock_mem_max_mhz", Reading), ("pstate", Reading), ("fan_pct", Reading),
        ("throttle_reasons", Reading), ("throttle_supported", Reading),
        ("throttle_time_ns", Reading * HR_TCOUNT_COUNT),
    ]


class AccelInfo(Struct):
    _cname_ = "hr_accel_info"
    _fields_ = [
        ("kind", i32), ("gpu_index", i32), ("unified_memory", i32), ("reserved", i32),
        ("torch_device", chars(16)), ("budget_bytes", Reading), ("ceiling_bytes", Reading),
        ("budget_source", chars(96)),
    ]


class SourceReport(Struct):
    _cname_ = "hr_source_report"
    _fields_ = [("name", chars(32)), ("state", i32), ("why", i32), ("detail", chars(160))]


class Probe(Struct):
    _cname_ = "hr_probe"
    _fields_ = [
        ("size", size_t), ("t_mono_ns", i64), ("t_wall_ns", i64),
        ("host", HostInfo), ("cpu", CpuInfo), ("mem", MemInfo), ("accel", AccelInfo),
        ("cores", C.POINTER(CpuCore)), ("ncores", size_t),
        ("sensors", C.POINTER(Sensor)), ("nsensors", size_t),
        ("zones", C.POINTER(ThermalZone)), ("nzones", size_t),
        ("rapl", C.POINTER(RaplDomain)), ("nrapl", size_t),
        ("gpus", C.POINTER(GpuInfo)), ("ngpus", size_t),
        ("sources", C.POINTER(SourceReport)), ("nsources", size_t),
        ("priv", C.c_void_p),
    ]


# ---------------------------------------------------------------- plan

HR_PLAN_MAX_GPUS = 16
HR_PLAN_REASON_CAP = 256
HR_PLAN_MAX_OPTIONS = 6
HR_PLAN_MAX_FALLBACKS = 8
HR_PLAN_MAX_NOTES = 6
HR_PLAN_MAX_SAVERS = 16
REASON = chars(HR_PLAN_REASON_CAP)


class PlanError(Struct):
    _cname_ = "hr_plan_error"
    _fields_ = [("what", chars(160)), ("why", chars(256)), ("hint", chars(256))]


class PlanDevice(Struct):
    _cname_ = "hr_plan_device"
    _fields_ = [
        ("size", size_t), ("kind", i32), ("unified_memory", i32), ("bf16", i32), ("ngpus", i32),
        ("assumed", i32), ("reserved", i32), ("torch_device", chars(16)), ("name", chars(96)),
        ("total_bytes", Reading), ("ceiling_bytes", Reading), ("budget_bytes", Reading),
        ("gpu_budget_bytes", Reading * HR_PLAN_MAX_GPUS), ("host_available_bytes", Reading),
        ("pressure_level", Reading), ("budget_source", chars(160)), ("bf16_reason", chars(160)),
    ]


class PlanItem(Struct):
    _cname_ = "hr_plan_item"
    _fields_ = [("name", chars(32)), ("bytes", i64), ("reason", REASON)]


class PlanModelFacts(Struct):
    _cname_ = "hr_plan_model_facts"
    _fields_ = [
        ("size", size_t), ("name", chars(128)), ("params", Reading),
        ("unquantized_params", Reading), ("checkpoint_bytes", Reading),
        ("checkpoint_dtype", i32), ("multimodal", i32), ("moe_experts", i32), ("tensors", i32),
        ("layers", Reading), ("kv_heads", Reading), ("head_dim", Reading),
        ("max_context_tokens", Reading), ("params_source", chars(192)),
        ("multimodal_reason", chars(128)),
    ]


class PlanModelOpts(Struct):
    _cname_ = "hr_plan_model_opts"
    _fields_ = [
        ("size", size_t), ("context_tokens", i64), ("batch", i32), ("dtype", i32),
        ("allow_quantization", i32), ("margin_pct", i32),
    ]


class PlanOption(Struct):
    _cname_ = "hr_plan_option"
    _fields_ = [
        ("dtype", i32), ("quant", i32), ("available", i32), ("fits", i32),
        ("weights_bytes", i64), ("total_bytes", i64), ("note", chars(128)),
    ]


class PlanFallback(Struct):
    _cname_ = "hr_plan_fallback"
    _fields_ = [("when", chars(16)), ("action", chars(128)), ("need_bytes", i64),
                ("reason", REASON)]


class PlanModelResult(Struct):
    _cname_ = "hr_plan_model_result"
    _fields_ = [
        ("size", size_t), ("verdict", i32), ("device_kind", i32), ("dtype", i32), ("quant", i32),
        ("gpus_used", i32), ("reserved", i32), ("torch_device", chars(16)),
        ("device_map", chars(16)), ("verdict_reason", REASON), ("device_reason", REASON),
        ("dtype_reason", REASON), ("quant_reason", REASON),
        ("params", i64), ("need_bytes", i64), ("budget_bytes", i64), ("usable_bytes", i64),
        ("offload_bytes", i64), ("per_gpu_bytes", i64 * HR_PLAN_MAX_GPUS),
        ("items", PlanItem * 5), ("nitems", size_t),
        ("options", PlanOption * HR_PLAN_MAX_OPTIONS), ("noptions", size_t),
        ("fallbacks", PlanFallback * HR_PLAN_MAX_FALLBACKS), ("nfallbacks", size_t),
        ("notes", REASON * HR_PLAN_MAX_NOTES), ("nnotes", size_t),
        ("device", PlanDevice), ("model", PlanModelFacts), ("opts", PlanModelOpts),
    ]


class PlanDiffusionReq(Struct):
    _cname_ = "hr_plan_diffusion_req"
    _fields_ = [("size", size_t), ("width_px", i32), ("height_px", i32), ("pipeline", i32),
                ("margin_pct", i32)]


class PlanSaver(Struct):
    _cname_ = "hr_plan_saver"
    _fields_ = [("name", chars(48)), ("on", i32), ("effective", i32), ("origin", chars(64)),
                ("reason", REASON)]


class PlanDiffusionResult(Struct):
    _cname_ = "hr_plan_diffusion_result"
    _fields_ = [
        ("size", size_t), ("verdict", i32), ("level", i32), ("config_device", i32),
        ("dtype", i32), ("req_w_px", i32), ("req_h_px", i32), ("max_w_px", i32),
        ("max_h_px", i32), ("out_w_px", i32), ("out_h_px", i32), ("size_action", i32),
        ("tile_px", i32), ("tile_overlap_px", i32), ("reserved", i32),
        ("budget_bytes", i64), ("usable_bytes", i64), ("weights_bytes", i64), ("peak_bytes", i64),
        ("level_reason", REASON), ("size_reason", REASON), ("dtype_reason", REASON),
        ("tile_reason", REASON), ("verdict_reason", REASON),
        ("savers", PlanSaver * HR_PLAN_MAX_SAVERS), ("nsavers", size_t),
        ("cleanup", REASON * 3), ("ncleanup", size_t),
        ("notes", REASON * HR_PLAN_MAX_NOTES), ("nnotes", size_t),
        ("device", PlanDevice), ("req", PlanDiffusionReq),
    ]


class PlanCacheReq(Struct):
    _cname_ = "hr_plan_cache_req"
    _fields_ = [
        ("size", size_t), ("count", i64), ("channels", i32), ("height_px", i32),
        ("width_px", i32), ("dtype", i32), ("model_bytes", i64), ("per_sample_bytes", i64),
        ("margin_pct", i32), ("reserved", i32),
    ]


class PlanCacheResult(Struct):
    _cname_ = "hr_plan_cache_result"
    _fields_ = [
        ("size", size_t), ("placement", i32), ("dtype", i32), ("cache_bytes", i64),
        ("half_bytes", i64), ("budget_bytes", i64), ("usable_bytes", i64),
        ("host_usable_bytes", i64), ("batch_max", i64), ("batch", i64),
        ("size_reason", REASON), ("placement_reason", REASON), ("batch_reason", REASON),
        ("notes", REASON * HR_PLAN_MAX_NOTES), ("nnotes", size_t),
        ("device", PlanDevice), ("req", PlanCacheReq),
    ]


# ---------------------------------------------------------------- govern

HR_GTHROTTLE_COUNT = 6


class GovernConfig(Struct):
    _cname_ = "hr_govern_config"
    _fields_ = [
        ("size", size_t), ("policy", i32), ("reserved0", i32),
        ("baseline_s_per_unit", f64), ("learn_steps", u32), ("window", u32),
        ("learn_quantile", f64), ("min_evidence_units", f64), ("threshold", f64),
        ("critical", f64), ("break_s", f64), ("critical_break_s", f64), ("max_break_s", f64),
        ("rest_ratio", f64), ("break_growth", f64), ("relearn_breaks", u32), ("reserved1", u32),
        ("relearn_fast_ratio", f64),
        ("batch_size", u32), ("reserved2", u32), ("batch_units", f64), ("batch_break_s", f64),
        ("gpu_pause_margin_c", f64), ("gpu_resume_margin_c", f64), ("gpu_pause_temp_c", f64),
        ("gpu_resume_temp_c", f64), ("near_limit_margin_c", f64),
        ("thermal_reasons_mask", u64), ("near_reasons_mask", u64), ("power_reasons_mask", u64),
        ("cpu_pause_margin_c", f64), ("cpu_resume_margin_c", f64),
        ("pressure_pause", i32), ("pressure_resume", i32), ("min_break_s", f64),
        ("plateau_s", f64), ("plateau_c", f64), ("rearm_after_max_s", f64), ("stale_s", f64),
        ("critical_evidence_units", f64),
    ]


class GovernSensors(Struct):
    _cname_ = "hr_govern_sensors"
    _fields_ = [
        ("t_ns", i64), ("gpu_index", i32), ("reserved", i32),
        ("gpu_temp_mc", Reading), ("gpu_temp_slowdown_mc", Reading),
        ("gpu_temp_margin_mc", Reading), ("gpu_throttle_reasons", Reading),
        ("cpu_temp_mc", Reading), ("cpu_temp_crit_mc", Reading), ("thermal_pressure", Reading),
    ]


class GovernDecision(Struct):
    _cname_ = "hr_govern_decision"
    _fields_ = [
        ("action", i32), ("reason", i32), ("policy", i32), ("critical", i32),
        ("pause_s", f64), ("ratio", f64), ("text", chars(192)),
    ]


class GovernStats(Struct):
    _cname_ = "hr_govern_stats"
    _fields_ = [
        ("size", size_t), ("policy", i32), ("active_policy", i32), ("paused", i32),
        ("break_reason", i32), ("break_start_ns", i64), ("break_until_ns", i64),
        ("steps", u64), ("units", f64), ("wall_s", f64), ("productive_s", f64),
        ("breaks", u64), ("critical_breaks", u64), ("batch_breaks", u64),
        ("sensor_breaks", u64), ("break_total_s", f64), ("baseline_s_per_unit", f64),
        ("baseline_learned", i32), ("relearns", i32), ("ideal_s", f64),
        ("throttle_loss_s", f64), ("efficiency", f64),
        ("throttled_s", f64 * HR_GTHROTTLE_COUNT), ("last_ratio", f64),
    ]


# ---------------------------------------------------------------- session and recorder

class Channel(Struct):
    _cname_ = "hr_channel"
    _fields_ = [
        ("id", i32), ("reserved", i32), ("component", chars(48)), ("metric", chars(64)),
        ("unit", chars(16)), ("base_unit", chars(16)), ("scale", f64), ("label", chars(96)),
    ]


class SessionInfo(Struct):
    _cname_ = "hr_session_info"
    _fields_ = [
        ("size", size_t), ("state", i32), ("schema_version", i32),
        ("start_mono_ns", i64), ("start_wall_ns", i64), ("end_mono_ns", i64),
        ("end_wall_ns", i64), ("requested_hz", f64), ("achieved_hz", f64),
        ("ticks", i64), ("missed_ticks", i64), ("steps", i64), ("events", i64),
        ("nchannels", size_t),
    ]


class Step(Struct):
    _cname_ = "hr_step"
    _fields_ = [
        ("index", i64), ("t_mono_ns", i64), ("t_wall_ns", i64), ("duration_ns", i64),
        ("units", f64), ("nvalues", size_t), ("names", C.POINTER(C.c_char_p)),
        ("values", C.POINTER(f64)),
    ]


class Event(Struct):
    _cname_ = "hr_event"
    _fields_ = [
        ("id", i64), ("kind", chars(32)), ("start_mono_ns", i64), ("end_mono_ns", i64),
        ("detail", C.c_char_p),
    ]


class RleConfig(Struct):
    _cname_ = "hr_rle_config"
    _fields_ = [
        ("size", size_t),
        ("stability_window_s", f64), ("smooth_window_s", f64), ("slope_window_s", f64),
        ("min_samples", u32), ("reserved0", u32),
        ("t_sustain_min_s", f64), ("t_sustain_max_s", f64), ("slope_floor_c_per_s", f64),
        ("a_load_floor", f64), ("power_limit_w", f64), ("temp_limit_c", f64),
        ("norm_baseline", f64), ("norm_optimum", f64), ("norm_peak_util_pct", f64),
        ("warmup_s", f64), ("peak_decay_per_s", f64), ("drop_frac", f64), ("sustain_s", f64),
        ("recover_s", f64), ("load_gate_util_pct", f64), ("load_gate_a_load", f64),
        ("heat_window_s", f64), ("heat_c_per_s", f64),
        ("require_evidence", i32), ("evidence_thermal_pressure", i32),
        ("evidence_t_sustain_s", f64), ("evidence_temp_margin_c", f64),
        ("evidence_a_load", f64), ("evidence_throttle_thermal", u64),
        ("evidence_throttle_power", u64), ("alert_a_load", f64),
    ]


# Callbacks are never installed from Python (the recorder uses its real
# clock and its own probe); they are mirrored as plain pointers for size.
class Clock(Struct):
    _cname_ = "hr_clock"
    _fields_ = [("now_ns", C.c_void_p), ("wall_ns", C.c_void_p), ("sleep_until", C.c_void_p),
                ("user", C.c_void_p)]


class RecordConfig(Struct):
    _cname_ = "hr_record_config"
    _fields_ = [
        ("size", size_t), ("hz", f64), ("duration_ns", i64), ("writer_thread", i32),
        ("rle", i32), ("rle_cpu", RleConfig), ("rle_gpu", RleConfig), ("queue_ticks", u32),
        ("channel_events", i32), ("clock", C.POINTER(Clock)), ("probe", C.POINTER(Probe)),
        ("refresh", C.c_void_p), ("refresh_user", C.c_void_p),
    ]


class RecordStats(Struct):
    _cname_ = "hr_record_stats"
    _fields_ = [
        ("size", size_t), ("running", i32), ("status", i32), ("ticks", i64), ("written", i64),
        ("missed", i64), ("start_mono_ns", i64), ("last_mono_ns", i64),
        ("requested_hz", f64), ("achieved_hz", f64),
        ("lateness_p50_ns", i64), ("lateness_p99_ns", i64), ("lateness_max_ns", i64),
        ("sample_p50_ns", i64), ("sample_p99_ns", i64), ("commit_p50_ns", i64),
        ("commit_p99_ns", i64), ("commit_max_ns", i64), ("queue_max", i64),
        ("channels", size_t), ("error", chars(256)),
    ]


# ---------------------------------------------------------------- run

class RunConfig(Struct):
    _cname_ = "hr_run_config"
    _fields_ = [
        ("size", size_t), ("argv", C.POINTER(C.c_char_p)), ("io", i32),
        ("forward_signals", i32), ("parse_progress", i32), ("step_fd", i32),
        ("step_socket", i32), ("stdin_fd", i32), ("stdout_fd", i32), ("stderr_fd", i32),
        ("exit_grace_ns", i64),
    ]


class RunEvent(Struct):
    _cname_ = "hr_run_event"
    _fields_ = [
        ("kind", i32), ("source", i32), ("t_ns", i64), ("index", i64), ("units", f64),
        ("total", i64), ("start_ns", i64), ("new_stream", i32), ("reserved", i32),
        ("nvalues", size_t), ("names", C.POINTER(C.c_char_p)), ("values", C.POINTER(f64)),
        ("signal", i32), ("was_paused", i32), ("stopped_ns", i64), ("exit_code", i32),
        ("term_signal", i32),
    ]


class RunStats(Struct):
    _cname_ = "hr_run_stats"
    _fields_ = [
        ("size", size_t), ("pid", i32), ("guardian_pid", i32), ("io", i32), ("running", i32),
        ("paused", i32), ("guardian_alive", i32), ("start_ns", i64), ("bytes_out", i64),
        ("bytes_err", i64), ("write_errors", i64), ("progress_readings", i64),
        ("progress_steps", i64), ("channel_steps", i64), ("channel_malformed", i64),
        ("pauses", i64), ("paused_ns", i64), ("foreign_stop_ns", i64), ("orphans_reaped", i64),
        ("step_fd", i32), ("exit_code", i32), ("term_signal", i32), ("reserved", i32),
        ("step_socket", chars(108)), ("last_malformed", chars(128)),
    ]


# Every mirror, checked against hr_struct_size when the library is loaded.
MIRRORS = [
    Reading, HostInfo, CpuCore, CpuInfo, Psi, MemInfo, Sensor, TripPoint, ThermalZone,
    RaplDomain, GpuInfo, AccelInfo, SourceReport, Probe,
    PlanError, PlanDevice, PlanItem, PlanModelFacts, PlanModelOpts, PlanOption, PlanFallback,
    PlanModelResult, PlanDiffusionReq, PlanSaver, PlanDiffusionResult, PlanCacheReq,
    PlanCacheResult,
    GovernConfig, GovernSensors, GovernDecision, GovernStats,
    Channel, SessionInfo, Step, Event, RleConfig, Clock, RecordConfig, RecordStats,
    RunConfig, RunEvent, RunStats,
]
