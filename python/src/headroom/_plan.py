"""headroom.plan_model / plan_diffusion / plan_cache and torch_device():
how a job fits this machine (or an assumed one), with a reason for every
choice. The decisions are the C planner's (hr_plan.h, docs/PLANNER.md);
this module builds its inputs and turns its results into dataclasses.

Memory sizes may be given as an int (bytes) or as text ("16G" = 16 GiB,
"16GB" = 16 x 10^9, docs/PLANNER.md section 2). A figure the planner
could not know (the budget of a device it could not read, the weights of
an unnamed pipeline) is None, never 0.

Any plan can be made for another machine: assume_device ("cuda", "rocm",
"mps", "cpu") with assume_memory (VRAM per GPU, or RAM for mps/cpu), and
optionally assume_free, assume_gpus and assume_ram. Without them the
device comes from a probe of this machine (root / nvml_library as for
headroom.probe()).
"""

import ctypes as C
import dataclasses
import json
import os
from typing import Dict, List, Optional, Tuple

from . import _types as T
from ._lib import check, dec, enc, known, lib, plan_error_text, take_string
from ._probe import LiveProbe

HR_PLAN_YES, HR_PLAN_NO = 1, 0
_SIZE_ACTIONS = ["kept", "tiled", "scaled"]


# ---------------------------------------------------------------- helpers


def _plan_check(status, err):
    check(status, lambda: plan_error_text(err))


def _new_err(what=""):
    err = T.PlanError()
    err.what = enc(what)[:159]
    return err


def parse_bytes(value, what="size"):
    """Bytes from an int or a size text ("16G", "1.5GiB", "16GB")."""
    if isinstance(value, bool):
        raise TypeError("%s: expected bytes or a size such as '16G', got %r" % (what, value))
    if isinstance(value, int):
        if value <= 0:
            raise ValueError("%s: must be > 0 bytes (got %d)" % (what, value))
        return value
    out = C.c_int64()
    err = _new_err(what)
    _plan_check(lib().hr_plan_parse_bytes(enc(str(value)), C.byref(out), C.byref(err)), err)
    return out.value


def _parse_with(fn, text, what):
    out = C.c_int32()
    err = _new_err(what)
    _plan_check(fn(enc(str(text)), C.byref(out), C.byref(err)), err)
    return out.value


def _size_px(size, what):
    """(width, height) from "WxH", "W", an int (square) or a pair."""
    if isinstance(size, (tuple, list)) and len(size) == 2:
        w, h = int(size[0]), int(size[1])
        return w, h
    if isinstance(size, int) and not isinstance(size, bool):
        return size, size
    w, h = C.c_int32(), C.c_int32()
    err = _new_err(what)
    _plan_check(lib().hr_plan_parse_image_size(enc(str(size)), C.byref(w), C.byref(h),
                                               C.byref(err)), err)
    return w.value, h.value


def _reading(r):
    return r.v if known(r) else None


def _texts(arr, n):
    return [dec(arr[i]) for i in range(min(n, len(arr)))]


def _nonneg(v):
    """A figure where the planner uses 0 or -1 for 'not known'."""
    return v if v > 0 else None


def _json_of(fn, *args):
    out = C.c_void_p()
    check(fn(*(list(args) + [C.byref(out)])), "rendering the plan")
    return take_string(out)


# ---------------------------------------------------------------- device


@dataclasses.dataclass
class PlanDevice:
    """The device a plan is for."""

    kind: str
    torch_device: str
    name: str
    assumed: bool
    unified_memory: bool
    ngpus: int
    bf16: Optional[bool]
    bf16_reason: str
    total_bytes: Optional[int]
    ceiling_bytes: Optional[int]
    budget_bytes: Optional[int]
    gpu_budget_bytes: List[Optional[int]]
    host_available_bytes: Optional[int]
    budget_source: str
    unknown: Dict[str, str] = dataclasses.field(default_factory=dict)


def _device_dc(d):
    L = lib()
    unknown = {}
    for key in ("total_bytes", "ceiling_bytes", "budget_bytes", "host_available_bytes"):
        r = getattr(d, key)
        if not known(r):
            unknown[key] = L.hr_why_name(r.why)
    n = max(d.ngpus, 0)
    return PlanDevice(
        kind=L.hr_plan_device_kind_name(d.kind), torch_device=dec(d.torch_device),
        name=dec(d.name), assumed=bool(d.assumed), unified_memory=bool(d.unified_memory),
        ngpus=d.ngpus, bf16=None if d.bf16 not in (0, 1) else bool(d.bf16),
        bf16_reason=dec(d.bf16_reason), total_bytes=_reading(d.total_bytes),
        ceiling_bytes=_reading(d.ceiling_bytes), budget_bytes=_reading(d.budget_bytes),
        gpu_budget_bytes=[_reading(d.gpu_budget_bytes[i])
                          for i in range(min(n, T.HR_PLAN_MAX_GPUS))],
        host_available_bytes=_reading(d.host_available_bytes),
        budget_source=dec(d.budget_source), unknown=unknown)


def plan_device(assume_device=None, assume_memory=None, assume_free=None, assume_gpus=None,
                assume_ram=None, root=None, nvml_library=None):
    """The ctypes hr_plan_device for the arguments (see the module doc)."""
    L = lib()
    d = T.PlanDevice()
    if assume_device is None:
        stray = [n for n, v in (("assume_memory", assume_memory), ("assume_free", assume_free),
                                ("assume_gpus", assume_gpus), ("assume_ram", assume_ram))
                 if v is not None]
        if stray:
            raise ValueError("%s needs assume_device (cuda, rocm, mps or cpu)" % stray[0])
        with LiveProbe(root, nvml_library) as live:
            check(L.hr_plan_device_from_probe(live.ptr, C.byref(d)), "the probe's device")
        return d
    kind = _parse_with(L.hr_plan_parse_device_kind, assume_device, "assume_device")
    if assume_memory is None:
        raise ValueError("assume_device needs assume_memory (the device's memory, e.g. '16G')")
    total = parse_bytes(assume_memory, "assume_memory")
    free = -1 if assume_free is None else parse_bytes(assume_free, "assume_free")
    gpus = 1 if assume_gpus is None else int(assume_gpus)
    err = _new_err("assume_device")
    _plan_check(L.hr_plan_device_assume(kind, total, free, gpus, C.byref(d), C.byref(err)), err)
    if assume_ram is not None:
        d.host_available_bytes = T.Reading(parse_bytes(assume_ram, "assume_ram"),
                                           T.HR_WHY_KNOWN, 0)
    return d


# ---------------------------------------------------------------- model


@dataclasses.dataclass
class PlanItem:
    name: str
    bytes: int
    reason: str


@dataclasses.dataclass
class PlanOption:
    dtype: str
    quantization: str
    available: bool
    fits: bool
    weights_bytes: int
    total_bytes: int
    note: str


@dataclasses.dataclass
class PlanFallback:
    when: str
    action: str
    need_bytes: Optional[int]
    reason: str


@dataclasses.dataclass
class ModelPlan:
    """How a model loads here. `fits` is True for the verdicts fits, split
    and offload."""

    verdict: str
    verdict_reason: str
    torch_device: str
    device_map: str
    device_reason: str
    dtype: str
    dtype_reason: str
    quantization: str
    quantization_reason: str
    gpus_used: int
    model_name: str
    params: int
    params_source: str
    need_bytes: int
    budget_bytes: Optional[int]
    usable_bytes: Optional[int]
    offload_bytes: int
    per_gpu_bytes: List[int]
    items: List[PlanItem]
    options: List[PlanOption]
    fallbacks: List[PlanFallback]
    notes: List[str]
    device: PlanDevice
    text: str = dataclasses.field(repr=False, default="")
    json: dict = dataclasses.field(repr=False, default_factory=dict)

    @property
    def fits(self):
        return self.verdict in ("fits", "split", "offload")


_QUANTS = ["none", "bnb_int8", "bnb_nf4"]


def _quant_name(q):
    return _QUANTS[q] if 0 <= q < len(_QUANTS) else "unknown"


def _model_facts(model, params, model_dir, layers, kv_heads, head_dim):
    L = lib()
    f = T.PlanModelFacts()
    L.hr_plan_model_facts_init(C.byref(f))
    if model is None and params is None and model_dir is None:
        raise ValueError("no model given: pass params='7B', model='Qwen/Qwen2.5-3B' or "
                         "model_dir='/path/to/model'")
    err = _new_err("model")
    if model is not None:
        _plan_check(L.hr_plan_model_facts_from_id(C.byref(f), enc(model), C.byref(err)), err)
    if model_dir is not None:
        err = _new_err("model_dir")
        _plan_check(L.hr_plan_model_dir_read(enc(model_dir), C.byref(f), C.byref(err)), err)
    if params is not None:
        if isinstance(params, int) and not isinstance(params, bool):
            count = params
            text = str(params)
        else:
            out = C.c_int64()
            err = _new_err("params")
            _plan_check(L.hr_plan_parse_params(enc(str(params)), C.byref(out), C.byref(err)), err)
            count, text = out.value, str(params)
        f.params = T.Reading(count, T.HR_WHY_KNOWN, 0)
        f.params_source = enc("params=%s" % text)[:191]
        if model is None and model_dir is None:
            f.name = enc("%s model" % text)[:127]
    for key, value in (("layers", layers), ("kv_heads", kv_heads), ("head_dim", head_dim)):
        if value is not None:
            setattr(f, key, T.Reading(int(value), T.HR_WHY_KNOWN, 0))
    return f


def _model_plan_dc(r):
    L = lib()
    unknown_budget = r.verdict == 4
    return ModelPlan(
        verdict=L.hr_plan_verdict_name(r.verdict), verdict_reason=dec(r.verdict_reason),
        torch_device=dec(r.torch_device), device_map=dec(r.device_map),
        device_reason=dec(r.device_reason), dtype=L.hr_plan_dtype_name(r.dtype),
        dtype_reason=dec(r.dtype_reason), quantization=_quant_name(r.quant),
        quantization_reason=dec(r.quant_reason), gpus_used=r.gpus_used,
        model_name=dec(r.model.name), params=r.params,
        params_source=dec(r.model.params_source), need_bytes=r.need_bytes,
        budget_bytes=None if unknown_budget else r.budget_bytes,
        usable_bytes=None if unknown_budget else r.usable_bytes,
        offload_bytes=r.offload_bytes,
        per_gpu_bytes=[r.per_gpu_bytes[i] for i in range(max(0, min(r.gpus_used, 16)))]
        if r.gpus_used > 1 else [],
        items=[PlanItem(dec(i.name), i.bytes, dec(i.reason)) for i in r.items[:r.nitems]],
        options=[PlanOption(L.hr_plan_dtype_name(o.dtype), _quant_name(o.quant),
                            bool(o.available), bool(o.fits), o.weights_bytes, o.total_bytes,
                            dec(o.note)) for o in r.options[:r.noptions]],
        fallbacks=[PlanFallback(dec(f.when), dec(f.action),
                                f.need_bytes if f.need_bytes >= 0 else None, dec(f.reason))
                   for f in r.fallbacks[:r.nfallbacks]],
        notes=_texts(r.notes, r.nnotes), device=_device_dc(r.device))


def plan_model(model=None, params=None, model_dir=None, context=4096, batch=1, dtype=None,
               allow_quantization=True, margin=10, layers=None, kv_heads=None, head_dim=None,
               assume_device=None, assume_memory=None, assume_free=None, assume_gpus=None,
               assume_ram=None, root=None, nvml_library=None):
    """Plans loading a model: device, dtype, quantization, placement and the
    steps to take when memory runs out, each with its reason.

    MODEL is a model id ("Qwen/Qwen2.5-3B-Instruct": the size is read from
    it), PARAMS a count ("7B", "8x7B", or an int), MODEL_DIR a local model
    directory (exact: config.json and safetensors headers). CONTEXT tokens
    of KV cache per sequence, BATCH sequences, DTYPE forces "fp32", "fp16",
    "bf16", "int8" or "int4", MARGIN is the percent of the budget kept
    free. Raises HeadroomError_InvalidArgument (a ValueError) with the
    planner's detail for impossible inputs."""
    L = lib()
    facts = _model_facts(model, params, model_dir, layers, kv_heads, head_dim)
    opts = T.PlanModelOpts()
    L.hr_plan_model_opts_init(C.byref(opts))
    opts.context_tokens = int(context)
    opts.batch = int(batch)
    opts.allow_quantization = 1 if allow_quantization else 0
    opts.margin_pct = int(margin)
    if dtype is not None:
        opts.dtype = _parse_with(L.hr_plan_parse_dtype, dtype, "dtype")
    device = plan_device(assume_device, assume_memory, assume_free, assume_gpus, assume_ram,
                         root, nvml_library)
    result = T.PlanModelResult()
    err = _new_err()
    _plan_check(L.hr_plan_model(C.byref(facts), C.byref(device), C.byref(opts),
                                C.byref(result), C.byref(err)), err)
    plan = _model_plan_dc(result)
    plan.text = _json_of(L.hr_plan_model_to_text, C.byref(result), 0)
    plan.json = json.loads(_json_of(L.hr_plan_model_to_json, C.byref(result), 0))
    return plan


# ---------------------------------------------------------------- diffusion


@dataclasses.dataclass
class Saver:
    """One memory saver: `on` when the plan turns it on, `effective` False
    when it has no effect for this run."""

    name: str
    on: bool
    effective: bool
    origin: str
    reason: str


@dataclasses.dataclass
class DiffusionPlan:
    """A diffusion run: memory level, size cap, savers and tiles."""

    verdict: str
    verdict_reason: str
    level: str
    level_reason: str
    device_kind: str
    config_device: str
    dtype: str
    dtype_reason: str
    requested_size: Tuple[int, int]
    max_size: Tuple[int, int]
    size: Tuple[int, int]
    size_action: str
    size_reason: str
    tile_px: int
    tile_overlap_px: int
    tile_reason: str
    budget_bytes: Optional[int]
    usable_bytes: Optional[int]
    weights_bytes: Optional[int]
    peak_bytes: Optional[int]
    pipeline: str
    savers: List[Saver]
    cleanup: List[str]
    notes: List[str]
    explain: List[str]
    device: PlanDevice
    text: str = dataclasses.field(repr=False, default="")
    json: dict = dataclasses.field(repr=False, default_factory=dict)

    @property
    def fits(self):
        return self.verdict in ("fits", "offload")

    @property
    def enabled_savers(self):
        """Names of the savers the plan turns on and that have an effect."""
        return [s.name for s in self.savers if s.on and s.effective]

    def saver(self, name):
        for s in self.savers:
            if s.name == name:
                return s
        return None


def _environ_array(env):
    items = [enc("%s=%s" % kv) for kv in env.items()]
    arr = (C.c_char_p * (len(items) + 1))(*items, None)
    return arr


class _Dconf:
    """An hr_plan_dconf handle."""

    def __init__(self):
        self.handle = C.c_void_p()
        check(lib().hr_plan_dconf_new(C.byref(self.handle)), "hr_plan_dconf_new")

    def close(self):
        if self.handle:
            lib().hr_plan_dconf_free(self.handle)
            self.handle = None

    def explain(self):
        L = lib()
        return [L.hr_plan_dconf_explain_line(self.handle, i)
                for i in range(L.hr_plan_dconf_explain_count(self.handle))]


def _setting_text(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (tuple, list)) and len(value) == 2:
        return "%dx%d" % (int(value[0]), int(value[1]))
    return str(value)


def _dconf_layers(conf, config, env, settings, enable, disable, max_size):
    """Layers as `headroom plan diffusion` applies them: file, environment,
    then the caller's settings (the flags)."""
    L = lib()
    envp = _environ_array(env if env is not None else {})
    path = C.c_char_p()
    origin = C.create_string_buffer(64)
    # PATH points into FLAG or ENVP: both stay referenced until it is used.
    flag = enc(config)
    L.hr_plan_dconf_config_path(conf.handle, flag, envp, C.byref(path), origin, len(origin))
    err = _new_err()
    if path.value:
        _plan_check(L.hr_plan_dconf_load_file(conf.handle, path.value, C.byref(err)), err)
    _plan_check(L.hr_plan_dconf_apply_env(conf.handle, envp, C.byref(err)), err)
    flags = []
    if max_size is not None:
        flags.append(("max_image_size", _setting_text(max_size), "max_size="))
    for name in enable or ():
        key = name if "." in name else "optimizations." + name
        flags.append((key, "true", "enable=%s" % name))
    for name in disable or ():
        key = name if "." in name else "optimizations." + name
        flags.append((key, "false", "disable=%s" % name))
    for key, value in (settings or {}).items():
        flags.append((key, _setting_text(value), "settings[%s]" % key))
    for key, value, why in flags:
        err = _new_err(why)
        _plan_check(L.hr_plan_dconf_set(conf.handle, enc(key), enc(value), enc(why)[:63],
                                        C.byref(err)), err)


def _diffusion_dc(r, explain):
    L = lib()
    unknown_budget = r.verdict == 4
    return DiffusionPlan(
        verdict=L.hr_plan_verdict_name(r.verdict), verdict_reason=dec(r.verdict_reason),
        level=L.hr_plan_level_name(r.level), level_reason=dec(r.level_reason),
        device_kind=L.hr_plan_device_kind_name(r.device.kind),
        config_device=L.hr_plan_device_kind_name(r.config_device),
        dtype=L.hr_plan_dtype_name(r.dtype), dtype_reason=dec(r.dtype_reason),
        requested_size=(r.req_w_px, r.req_h_px), max_size=(r.max_w_px, r.max_h_px),
        size=(r.out_w_px, r.out_h_px),
        size_action=_SIZE_ACTIONS[r.size_action] if 0 <= r.size_action < 3 else "unknown",
        size_reason=dec(r.size_reason), tile_px=r.tile_px, tile_overlap_px=r.tile_overlap_px,
        tile_reason=dec(r.tile_reason),
        budget_bytes=None if unknown_budget else r.budget_bytes,
        usable_bytes=None if unknown_budget else r.usable_bytes,
        weights_bytes=_nonneg(r.weights_bytes), peak_bytes=_nonneg(r.peak_bytes),
        pipeline=L.hr_plan_pipeline_name(r.req.pipeline),
        savers=[Saver(dec(s.name), bool(s.on), bool(s.effective), dec(s.origin),
                      dec(s.reason)) for s in r.savers[:r.nsavers]],
        cleanup=_texts(r.cleanup, r.ncleanup), notes=_texts(r.notes, r.nnotes),
        explain=explain, device=_device_dc(r.device))


def plan_diffusion(size, model=None, config=None, settings=None, enable=None, disable=None,
                   max_size=None, env=None, margin=10, assume_device=None, assume_memory=None,
                   assume_free=None, assume_gpus=None, assume_ram=None, root=None,
                   nvml_library=None):
    """Plans a diffusion run: memory level, size cap, the savers to turn on,
    VAE tiles, and whether it fits, each with its reason.

    SIZE is "WxH", "W" (square), an int or (width, height). MODEL names the
    pipeline ("sd15", "sd2", "sdxl", "sd3", "flux") for the weights check.
    Configuration layers, later wins, as in `headroom plan diffusion`:
    defaults (seed 002's tables), a JSON file (CONFIG, else HEADROOM_CONFIG,
    else DIFFUSIONAPI_MEMORY_CONFIG from ENV), the environment ENV
    (HEADROOM_MAX_IMAGE_SIZE, HEADROOM_<OPTION>; default os.environ), then
    MAX_SIZE, ENABLE / DISABLE (saver names) and SETTINGS (a dict of dotted
    keys, e.g. {"memory_thresholds.low": 10}). Pass env={} to ignore the
    process environment."""
    L = lib()
    req = T.PlanDiffusionReq()
    L.hr_plan_diffusion_req_init(C.byref(req))
    req.width_px, req.height_px = _size_px(size, "size")
    if model is not None:
        req.pipeline = _parse_with(L.hr_plan_parse_pipeline, model, "model")
    req.margin_pct = int(margin)
    conf = _Dconf()
    try:
        _dconf_layers(conf, config, dict(os.environ) if env is None else env, settings, enable,
                      disable, max_size)
        device = plan_device(assume_device, assume_memory, assume_free, assume_gpus,
                             assume_ram, root, nvml_library)
        result = T.PlanDiffusionResult()
        err = _new_err()
        _plan_check(L.hr_plan_diffusion(conf.handle, C.byref(device), C.byref(req),
                                        C.byref(result), C.byref(err)), err)
        plan = _diffusion_dc(result, conf.explain())
        plan.text = _json_of(L.hr_plan_diffusion_to_text, C.byref(result), conf.handle, 1, 0)
        plan.json = json.loads(_json_of(L.hr_plan_diffusion_to_json, C.byref(result),
                                        conf.handle, 1, 0))
        return plan
    finally:
        conf.close()


# ---------------------------------------------------------------- cache


@dataclasses.dataclass
class CachePlan:
    """Where a preprocessed tensor cache lives, and a batch size."""

    placement: str
    placement_reason: str
    dtype: str
    cache_bytes: int
    half_bytes: int
    size_reason: str
    budget_bytes: Optional[int]
    usable_bytes: Optional[int]
    host_usable_bytes: Optional[int]
    batch_max: Optional[int]
    batch: Optional[int]
    batch_reason: str
    notes: List[str]
    device: PlanDevice
    text: str = dataclasses.field(repr=False, default="")
    json: dict = dataclasses.field(repr=False, default_factory=dict)


def plan_cache(count, size, channels=3, dtype="fp32", model_bytes=None, per_sample_bytes=None,
               margin=10, assume_device=None, assume_memory=None, assume_free=None,
               assume_gpus=None, assume_ram=None, root=None, nvml_library=None):
    """Sizes a cache of COUNT samples of CHANNELS x H x W (SIZE: "HxW", "S"
    for square, an int, or (height, width)) at DTYPE and decides where it
    lives (device, device at half precision, host with streamed batches, or
    disk). MODEL_BYTES is what the model holds beside it; PER_SAMPLE_BYTES
    the activation memory per sample, for a batch size."""
    L = lib()
    q = T.PlanCacheReq()
    L.hr_plan_cache_req_init(C.byref(q))
    q.count = int(count)
    if isinstance(size, (tuple, list)) and len(size) == 2:
        q.height_px, q.width_px = int(size[0]), int(size[1])
    else:
        # "HxW": hr_plan_parse_image_size gives its first number first.
        q.height_px, q.width_px = _size_px(size, "size")
    q.channels = int(channels)
    q.dtype = _parse_with(L.hr_plan_parse_dtype, dtype, "dtype")
    if model_bytes is not None:
        q.model_bytes = parse_bytes(model_bytes, "model_bytes")
    if per_sample_bytes is not None:
        q.per_sample_bytes = parse_bytes(per_sample_bytes, "per_sample_bytes")
    q.margin_pct = int(margin)
    device = plan_device(assume_device, assume_memory, assume_free, assume_gpus, assume_ram,
                         root, nvml_library)
    r = T.PlanCacheResult()
    err = _new_err()
    _plan_check(L.hr_plan_cache(C.byref(device), C.byref(q), C.byref(r), C.byref(err)), err)
    unknown = r.placement == 4
    plan = CachePlan(
        placement=L.hr_plan_placement_name(r.placement),
        placement_reason=dec(r.placement_reason), dtype=L.hr_plan_dtype_name(r.dtype),
        cache_bytes=r.cache_bytes, half_bytes=r.half_bytes, size_reason=dec(r.size_reason),
        budget_bytes=None if unknown else r.budget_bytes,
        usable_bytes=None if unknown else r.usable_bytes,
        host_usable_bytes=None if unknown or r.host_usable_bytes < 0 else r.host_usable_bytes,
        batch_max=r.batch_max if r.batch_max >= 0 else None,
        batch=r.batch if r.batch >= 0 else None, batch_reason=dec(r.batch_reason),
        notes=_texts(r.notes, r.nnotes), device=_device_dc(r.device))
    plan.text = _json_of(L.hr_plan_cache_to_text, C.byref(r), 0)
    plan.json = json.loads(_json_of(L.hr_plan_cache_to_json, C.byref(r), 0))
    return plan


# ---------------------------------------------------------------- torch device

_TORCH_DTYPES = {"fp32": "float32", "fp16": "float16", "bf16": "bfloat16"}


class DeviceChoice(tuple):
    """(device, dtype): the torch device string ("cuda:0", "mps", "cpu") and
    the dtype's torch attribute name ("bfloat16", "float16", "float32").
    Also: .reason, .dtype_reason, .verified (True when torch confirmed it),
    and .torch_dtype() (imports torch)."""

    def __new__(cls, device, dtype, reason, dtype_reason, verified=False):
        self = super().__new__(cls, (device, dtype))
        self.reason = reason
        self.dtype_reason = dtype_reason
        self.verified = verified
        return self

    @property
    def device(self):
        return self[0]

    @property
    def dtype(self):
        return self[1]

    def torch_dtype(self):
        import torch  # only when asked

        return getattr(torch, self[1])


def _torch_verify(choice):
    """The choice as torch sees it: an unavailable device falls back to the
    CPU at float32; bf16 on CUDA needs torch's confirmation."""
    try:
        import torch
    except ImportError as exc:
        return DeviceChoice(choice[0], choice[1], choice.reason + "; torch not importable (%s), "
                            "not verified" % exc, choice.dtype_reason, False)
    dev, dtype = choice
    if dev.startswith("cuda"):
        index = int(dev.split(":", 1)[1]) if ":" in dev else 0
        if not torch.cuda.is_available() or index >= torch.cuda.device_count():
            return DeviceChoice("cpu", "float32", "the planner chose %s but torch cannot use it "
                                "(torch.cuda.is_available() is False or no such index)" % dev,
                                "fp32 on the CPU", True)
        if dtype == "bfloat16" and hasattr(torch.cuda, "is_bf16_supported") \
                and not torch.cuda.is_bf16_supported():
            return DeviceChoice(dev, "float16", choice.reason,
                                "torch.cuda.is_bf16_supported() is False: fp16", True)
    elif dev == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            return DeviceChoice("cpu", "float32", "the planner chose mps but "
                                "torch.backends.mps.is_available() is False",
                                "fp32 on the CPU", True)
    return DeviceChoice(dev, dtype, choice.reason, choice.dtype_reason, True)


def torch_device(check_torch=False, assume_device=None, assume_memory=None, root=None,
                 nvml_library=None):
    """The torch device and dtype to use here, from the probe and the
    planner (its dtype ladder: bf16 where supported, else fp16 on GPUs;
    fp16 on MPS; fp32 on CPUs). torch is not imported unless CHECK_TORCH:
    then, when torch can be imported, the choice is verified with it
    (an unusable device falls back to ("cpu", "float32"))."""
    plan = plan_model(params=1000000, context=1, assume_device=assume_device,
                      assume_memory=assume_memory, root=root, nvml_library=nvml_library)
    dtype = _TORCH_DTYPES.get(plan.dtype, "float32")
    choice = DeviceChoice(plan.torch_device, dtype, plan.device_reason, plan.dtype_reason)
    return _torch_verify(choice) if check_torch else choice
