"""headroom.probe(): what this machine is and what its sensors say, as plain
dataclasses.

Field names and units are those of the probe's JSON schema (docs/PROBE.md):
base units named in the key (_celsius, _watts, _joules, _bytes, _hertz,
_seconds, _ratio 0..1). A value the library could not read is None and its
field is listed in the object's `unknown` dict with the reason's short name
("no_permission", "absent", "needs_interval", ... see docs/ERRORS.md); a
value is never 0 because it is unknown. Text fields the library could not
read (a model name, a hostname) are None.
"""

import ctypes as C
import dataclasses
import time
from typing import Dict, List

from . import _types as T
from ._context import Context
from ._lib import check, dec, known, lib, take_string

# How a stored integer becomes its base unit (as probe_json.c does).
_CONVERT = {
    "count": lambda v: v,
    "milli": lambda v: v / 1e3,
    "micro": lambda v: v / 1e6,
    "nano": lambda v: v / 1e9,
    "mega": lambda v: v * 1000000,
    "pct": lambda v: v / 100.0,
}

_PRESSURE = ["normal", "warn", "critical"]
_THERMAL = ["nominal", "moderate", "heavy", "trapping", "sleeping"]
_SENSOR_KINDS = ["temperature", "fan", "power", "energy", "voltage", "current"]
_SENSOR_UNITS = [("celsius", "milli"), ("rpm", "count"), ("watts", "milli"),
                 ("joules", "micro"), ("volts", "milli"), ("amperes", "milli")]
_VENDORS = ["nvidia", "amd", "apple", "other"]
_ACCELS = ["cpu", "cuda", "rocm", "mps"]
_SOURCE_STATES = ["answered", "partial", "absent", "failed"]
_TCOUNTS = ["sw_power", "sync_boost", "sw_thermal", "hw_thermal", "hw_power_brake"]


def _name(names, v):
    return names[v] if 0 <= v < len(names) else "unknown"


def _why(reading):
    return lib().hr_why_name(reading.why)


class _Builder:
    """Collects one object's values and its `unknown` map."""

    def __init__(self):
        self.values = {}
        self.unknown = {}

    def reading(self, key, r, unit="count"):
        if known(r):
            self.values[key] = _CONVERT[unit](r.v)
        else:
            self.values[key] = None
            self.unknown[key] = _why(r)

    def level(self, key, r, names):
        if known(r):
            self.values[key] = _name(names, r.v)
        else:
            self.values[key] = None
            self.unknown[key] = _why(r)

    def text(self, key, raw):
        s = dec(raw)
        self.values[key] = s if s else None

    def plain(self, key, value):
        self.values[key] = value

    def build(self, cls):
        return cls(**self.values, unknown=self.unknown)


def _dataclass(name, fields, doc):
    cls = dataclasses.make_dataclass(
        name, [(f, object, dataclasses.field(default=None)) for f in fields]
        + [("unknown", Dict[str, str], dataclasses.field(default_factory=dict))])
    cls.__module__ = "headroom"
    cls.__doc__ = doc
    return cls


Host = _dataclass("Host", [
    "os", "os_release", "kernel", "arch", "hostname", "machine_model", "cpu_model",
    "cpus_logical", "cores_physical", "packages", "cores_performance", "cores_efficiency",
    "uptime_seconds"], "The host: OS, kernel, CPU model and counts.")
Cpu = _dataclass("Cpu", [
    "utilization_ratio", "iowait_ratio", "temperature_celsius", "temperature_critical_celsius",
    "temperature_source", "package_throttle_count", "power_watts"],
    "The whole CPU: utilisation, the best temperature and its limit, RAPL package power.")
Core = _dataclass("Core", [
    "cpu", "utilization_ratio", "iowait_ratio", "clock_hertz", "clock_max_hertz",
    "throttle_count"], "One logical CPU.")
Psi = _dataclass("Psi", [
    "some_avg10_ratio", "some_avg60_ratio", "full_avg10_ratio", "some_total_seconds"],
    "Linux pressure stall information for one resource.")
Memory = _dataclass("Memory", [
    "total_bytes", "available_bytes", "swap_total_bytes", "swap_free_bytes",
    "cgroup_limit_bytes", "cgroup_usage_bytes", "cgroup_version", "budget_bytes",
    "pressure_level", "vm_pressure_level", "memorystatus_level_percent", "thermal_pressure",
    "psi"], "Memory, its cgroup limit, the budget a new job can use, and pressure.")
Sensor = _dataclass("Sensor", [
    "chip", "label", "device", "kind", "unit", "value", "max", "crit"],
    "One hwmon (or SMC) input; value/max/crit are in `unit` (celsius, rpm, watts, joules, "
    "volts, amperes).")
Trip = _dataclass("Trip", ["type", "temperature_celsius"], "A thermal zone's trip point.")
ThermalZone = _dataclass("ThermalZone", ["name", "type", "temperature_celsius", "trips"],
                         "A Linux thermal zone.")
RaplDomain = _dataclass("RaplDomain", [
    "name", "path", "energy_joules", "max_energy_range_joules", "power_watts"],
    "One RAPL (powercap) domain.")
Gpu = _dataclass("Gpu", [
    "index", "vendor", "backend", "name", "uuid", "pci_bus", "driver_version", "lost",
    "unified_memory", "memory_total_bytes", "memory_used_bytes", "memory_free_bytes",
    "utilization_ratio", "memory_utilization_ratio", "temperature_celsius",
    "temperature_slowdown_celsius", "temperature_shutdown_celsius", "temperature_max_celsius",
    "temperature_margin_celsius", "temperature_hotspot_celsius", "temperature_memory_celsius",
    "power_watts", "power_limit_watts", "energy_joules_total", "clock_sm_hertz",
    "clock_sm_max_hertz", "clock_memory_hertz", "clock_memory_max_hertz", "pstate",
    "fan_ratio", "throttle_reasons_mask", "throttle_reasons", "throttle_supported_mask",
    "throttle_seconds_total"],
    "One GPU. throttle_seconds_total holds the known counters; an unknown one is listed in "
    "`unknown` as 'throttle_seconds_total.<name>'.")
Accelerator = _dataclass("Accelerator", [
    "kind", "torch_device", "gpu_index", "unified_memory", "budget_bytes", "ceiling_bytes",
    "budget_source"], "The accelerator a PyTorch job gets here, and its memory budget.")
Source = _dataclass("Source", ["name", "state", "reason", "detail"],
                    "One source of values and how it fared on the latest read.")


@dataclasses.dataclass
class Probe:
    """Everything one probe read: see the module docstring for units."""

    host: Host
    cpu: Cpu
    memory: Memory
    cores: List[Core]
    sensors: List[Sensor]
    zones: List[ThermalZone]
    rapl: List[RaplDomain]
    gpus: List[Gpu]
    accelerator: Accelerator
    sources: List[Source]
    root: str
    time_monotonic_seconds: float
    time_wall_seconds: float
    headroom_version: str
    unknown: Dict[str, str] = dataclasses.field(default_factory=dict)

    def to_dict(self):
        """The whole probe as nested dicts and lists."""
        return dataclasses.asdict(self)


# ---------------------------------------------------------------- conversion


def _host(h):
    b = _Builder()
    for key in ("os", "os_release", "kernel", "arch", "hostname", "machine_model", "cpu_model"):
        b.text(key, getattr(h, key))
    for key in ("cpus_logical", "cores_physical", "packages", "cores_performance",
                "cores_efficiency"):
        b.reading(key, getattr(h, key))
    b.reading("uptime_seconds", h.uptime_ns, "nano")
    return b.build(Host)


def _cpu(c):
    b = _Builder()
    b.reading("utilization_ratio", c.util_ppm, "micro")
    b.reading("iowait_ratio", c.iowait_ppm, "micro")
    b.reading("temperature_celsius", c.temp_mc, "milli")
    b.reading("temperature_critical_celsius", c.temp_crit_mc, "milli")
    b.text("temperature_source", c.temp_source)
    b.reading("package_throttle_count", c.package_throttle_count)
    b.reading("power_watts", c.power_mw, "milli")
    return b.build(Cpu)


def _core(c):
    b = _Builder()
    b.plain("cpu", c.cpu)
    b.reading("utilization_ratio", c.util_ppm, "micro")
    b.reading("iowait_ratio", c.iowait_ppm, "micro")
    b.reading("clock_hertz", c.clock_mhz, "mega")
    b.reading("clock_max_hertz", c.clock_max_mhz, "mega")
    b.reading("throttle_count", c.throttle_count)
    return b.build(Core)


def _psi(s):
    b = _Builder()
    b.reading("some_avg10_ratio", s.some_avg10_ppm, "micro")
    b.reading("some_avg60_ratio", s.some_avg60_ppm, "micro")
    b.reading("full_avg10_ratio", s.full_avg10_ppm, "micro")
    b.reading("some_total_seconds", s.some_total_us, "micro")
    return b.build(Psi)


def _memory(m):
    b = _Builder()
    for key in ("total_bytes", "available_bytes", "swap_total_bytes", "swap_free_bytes",
                "cgroup_limit_bytes", "cgroup_usage_bytes"):
        b.reading(key, getattr(m, key))
    b.plain("cgroup_version", m.cgroup_version or None)
    b.reading("budget_bytes", m.budget_bytes)
    b.level("pressure_level", m.pressure_level, _PRESSURE)
    b.reading("vm_pressure_level", m.vm_pressure_level)
    b.reading("memorystatus_level_percent", m.memorystatus_level)
    b.level("thermal_pressure", m.thermal_pressure, _THERMAL)
    b.plain("psi", {"memory": _psi(m.psi_memory), "cpu": _psi(m.psi_cpu), "io": _psi(m.psi_io)})
    return b.build(Memory)


def _sensor(s):
    b = _Builder()
    for key in ("chip", "label", "device"):
        b.text(key, getattr(s, key))
    kind = s.kind if 0 <= s.kind < len(_SENSOR_KINDS) else 0
    unit, conv = _SENSOR_UNITS[kind]
    b.plain("kind", _name(_SENSOR_KINDS, s.kind))
    b.plain("unit", unit)
    b.reading("value", s.value, conv)
    if kind in (0, 2):
        b.reading("max", s.max, conv)
        b.reading("crit", s.crit, conv)
    return b.build(Sensor)


def _zone(z):
    b = _Builder()
    b.text("name", z.name)
    b.text("type", z.type)
    b.reading("temperature_celsius", z.temp_mc, "milli")
    trips = []
    for t in z.trips[:max(0, min(z.ntrips, T.HR_MAX_TRIPS))]:
        tb = _Builder()
        tb.text("type", t.type)
        tb.reading("temperature_celsius", t.temp_mc, "milli")
        trips.append(tb.build(Trip))
    b.plain("trips", trips)
    return b.build(ThermalZone)


def _rapl(d):
    b = _Builder()
    b.text("name", d.name)
    b.text("path", d.path)
    b.reading("energy_joules", d.energy_uj, "micro")
    b.reading("max_energy_range_joules", d.max_energy_range_uj, "micro")
    b.reading("power_watts", d.power_mw, "milli")
    return b.build(RaplDomain)


_GPU_READINGS = [
    ("memory_total_bytes", "mem_total_bytes", "count"),
    ("memory_used_bytes", "mem_used_bytes", "count"),
    ("memory_free_bytes", "mem_free_bytes", "count"),
    ("utilization_ratio", "util_ppm", "micro"),
    ("memory_utilization_ratio", "mem_util_ppm", "micro"),
    ("temperature_celsius", "temp_mc", "milli"),
    ("temperature_slowdown_celsius", "temp_slowdown_mc", "milli"),
    ("temperature_shutdown_celsius", "temp_shutdown_mc", "milli"),
    ("temperature_max_celsius", "temp_max_mc", "milli"),
    ("temperature_margin_celsius", "temp_margin_mc", "milli"),
    ("temperature_hotspot_celsius", "temp_hotspot_mc", "milli"),
    ("temperature_memory_celsius", "temp_mem_mc", "milli"),
    ("power_watts", "power_mw", "milli"),
    ("power_limit_watts", "power_limit_mw", "milli"),
    ("energy_joules_total", "energy_mj", "milli"),
    ("clock_sm_hertz", "clock_sm_mhz", "mega"),
    ("clock_sm_max_hertz", "clock_sm_max_mhz", "mega"),
    ("clock_memory_hertz", "clock_mem_mhz", "mega"),
    ("clock_memory_max_hertz", "clock_mem_max_mhz", "mega"),
    ("pstate", "pstate", "count"),
    ("fan_ratio", "fan_pct", "pct"),
    ("throttle_reasons_mask", "throttle_reasons", "count"),
    ("throttle_supported_mask", "throttle_supported", "count"),
]


def throttle_reason_names(mask):
    """The names of the NVML clock-event bits set in MASK."""
    buf = C.create_string_buffer(512)
    lib().hr_throttle_reasons_text(mask & 0xFFFFFFFFFFFFFFFF, buf, len(buf))
    text = dec(buf.value)
    return [t for t in text.split(",") if t]


def _gpu(g):
    b = _Builder()
    b.plain("index", g.index)
    b.plain("vendor", _name(_VENDORS, g.vendor))
    for key in ("backend", "name", "uuid", "pci_bus", "driver_version"):
        b.text(key, getattr(g, key))
    b.plain("lost", bool(g.lost))
    b.plain("unified_memory", bool(g.unified_memory))
    for key, field, unit in _GPU_READINGS:
        b.reading(key, getattr(g, field), unit)
    mask = b.values["throttle_reasons_mask"]
    b.plain("throttle_reasons", throttle_reason_names(mask) if mask is not None else None)
    totals = {}
    for i, name in enumerate(_TCOUNTS):
        r = g.throttle_time_ns[i]
        if known(r):
            totals[name] = r.v / 1e9
        else:
            b.unknown["throttle_seconds_total." + name] = _why(r)
    b.plain("throttle_seconds_total", totals)
    return b.build(Gpu)


def _accel(a):
    b = _Builder()
    b.plain("kind", _name(_ACCELS, a.kind))
    b.plain("torch_device", dec(a.torch_device))
    b.plain("gpu_index", a.gpu_index if a.gpu_index >= 0 else None)
    b.plain("unified_memory", bool(a.unified_memory))
    b.reading("budget_bytes", a.budget_bytes)
    b.reading("ceiling_bytes", a.ceiling_bytes)
    b.text("budget_source", a.budget_source)
    return b.build(Accelerator)


def _source(s):
    b = _Builder()
    b.plain("name", dec(s.name))
    b.plain("state", _name(_SOURCE_STATES, s.state))
    b.plain("reason", None if s.why == T.HR_WHY_KNOWN else lib().hr_why_name(s.why))
    b.text("detail", s.detail)
    return b.build(Source)


def _array(ptr, n):
    return [ptr[i] for i in range(n)] if n and ptr else []


def snapshot(p, root):
    """A Probe dataclass from an hr_probe (a ctypes Probe)."""
    return Probe(
        host=_host(p.host), cpu=_cpu(p.cpu), memory=_memory(p.mem),
        cores=[_core(c) for c in _array(p.cores, p.ncores)],
        sensors=[_sensor(s) for s in _array(p.sensors, p.nsensors)],
        zones=[_zone(z) for z in _array(p.zones, p.nzones)],
        rapl=[_rapl(d) for d in _array(p.rapl, p.nrapl)],
        gpus=[_gpu(g) for g in _array(p.gpus, p.ngpus)],
        accelerator=_accel(p.accel),
        sources=[_source(s) for s in _array(p.sources, p.nsources)],
        root=root, time_monotonic_seconds=p.t_mono_ns / 1e9,
        time_wall_seconds=p.t_wall_ns / 1e9, headroom_version=lib().hr_version())


# ---------------------------------------------------------------- live probe


class LiveProbe:
    """An open hr_probe on its own context: refresh() re-reads the dynamic
    values; read() gives a Probe dataclass of the latest read. Close it (or
    use `with`) to release its descriptors."""

    def __init__(self, root=None, nvml_library=None):
        self.ctx = Context(root, nvml_library)
        self._lib = self.ctx._lib
        self.ptr = C.POINTER(T.Probe)()
        try:
            check(self._lib.hr_probe_open(self.ctx.handle, C.byref(self.ptr)),
                  self.ctx.last_error)
        except BaseException:
            self.ctx.close()
            raise

    def refresh(self):
        check(self._lib.hr_probe_refresh(self.ptr), self.ctx.last_error)

    def read(self):
        return snapshot(self.ptr.contents, self.ctx.root)

    def json_text(self, indent=2):
        """The library's own JSON of the latest read (docs/PROBE.md)."""
        out = C.c_void_p()
        check(self._lib.hr_probe_to_json(self.ptr, indent, C.byref(out)), self.ctx.last_error)
        return take_string(out)

    def close(self):
        if getattr(self, "ptr", None):
            self._lib.hr_probe_free(self.ptr)
            self.ptr = None
        if getattr(self, "ctx", None):
            self.ctx.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass


def probe(root=None, nvml_library=None, interval=0.2):
    """Reads this machine (or the tree at ROOT) and returns a Probe.

    With INTERVAL > 0 (seconds) the machine is read twice, INTERVAL apart,
    so that rates (utilisation, power from energy counters) are known, as
    `headroom probe` does; with 0 they are unknown ("needs_interval").
    NVML_LIBRARY loads NVML from that path. Raises HeadroomError (with the
    library's detail) when not even the host facts can be read."""
    if interval is not None and interval < 0:
        raise ValueError("interval must be >= 0 seconds (got %r)" % (interval,))
    with LiveProbe(root, nvml_library) as live:
        if interval:
            time.sleep(interval)
            live.refresh()
        return live.read()


def probe_json(root=None, nvml_library=None, interval=0.2):
    """The library's JSON text of a probe, read as probe() reads."""
    with LiveProbe(root, nvml_library) as live:
        if interval:
            time.sleep(interval)
            live.refresh()
        return live.json_text()
