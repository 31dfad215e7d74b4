"""headroom.apply_diffusers(pipe, plan): turns on, on a diffusers pipeline,
the memory savers a DiffusionPlan names, where the pipeline has them.

The pipeline is duck-typed: only the methods and attributes below are
looked up, so any object with them works (diffusers is imported only for
the SDPA attention processor, and only when that saver is on and no
processor is passed in).

  saver                                        what is called
  enable_vae_tiling                            pipe.enable_vae_tiling(), else
                                                 pipe.vae.enable_tiling()
  enable_vae_slicing                           pipe.enable_vae_slicing(), else
                                                 pipe.vae.enable_slicing()
  enable_attention_slicing                     pipe.enable_attention_slicing()
  enable_xformers_memory_efficient_attention   pipe.enable_xformers_memory_efficient_attention()
  enable_memory_efficient_attention,           pipe.unet (or pipe.transformer)
  enable_attention_processor                     .set_attn_processor(AttnProcessor2_0())
  reduce_vae_sample_size                       pipe.vae.tile_sample_min_size = plan.tile_px,
                                               pipe.vae.tile_latent_min_size = plan.tile_px // 8
  enable_model_cpu_offload                     pipe.enable_model_cpu_offload()
  enable_sequential_cpu_offload                pipe.enable_sequential_cpu_offload()

Offload is applied last (diffusers moves modules when it is enabled).
Savers that are not pipeline calls (cleanup, gradient checkpointing, the
seed's nonexistent enable_model_offload) are listed as skipped with the
plan's reason.
"""

import dataclasses
from typing import Dict, List

_OFFLOAD = ("enable_model_cpu_offload", "enable_sequential_cpu_offload")
_SDPA = ("enable_memory_efficient_attention", "enable_attention_processor")


@dataclasses.dataclass
class AppliedSavers:
    """What apply_diffusers did: `applied` savers (in call order),
    `unavailable` ones the plan wanted but the pipeline lacks or refused
    (name -> why), and `skipped` ones (name -> why: off, no effect, not a
    pipeline call)."""

    applied: List[str]
    unavailable: Dict[str, str]
    skipped: Dict[str, str]


def _call(obj, method):
    fn = getattr(obj, method, None) if obj is not None else None
    if not callable(fn):
        return False
    fn()
    return True


def _on_pipe_or_vae(pipe_method, vae_method):
    def apply(plan, ctx):
        pipe = ctx["pipe"]
        if _call(pipe, pipe_method) or _call(getattr(pipe, "vae", None), vae_method):
            return None
        return "the pipeline has neither %s() nor vae.%s()" % (pipe_method, vae_method)
    return apply


def _pipe_method(method):
    def apply(plan, ctx):
        return None if _call(ctx["pipe"], method) else "the pipeline has no %s()" % method
    return apply


def _sdpa(plan, ctx):
    if ctx.get("sdpa_done"):
        return None
    pipe = ctx["pipe"]
    model = getattr(pipe, "unet", None) or getattr(pipe, "transformer", None)
    setter = getattr(model, "set_attn_processor", None)
    if not callable(setter):
        return "the pipeline has no unet/transformer with set_attn_processor()"
    processor = ctx.get("attn_processor")
    if processor is None:
        try:
            from diffusers.models.attention_processor import AttnProcessor2_0
        except ImportError as exc:
            return "diffusers' AttnProcessor2_0 cannot be imported (%s)" % exc
        processor = AttnProcessor2_0()
    setter(processor)
    ctx["sdpa_done"] = True
    return None


def _vae_sample_size(plan, ctx):
    vae = getattr(ctx["pipe"], "vae", None)
    if vae is None or not hasattr(vae, "tile_sample_min_size"):
        return "the pipeline's VAE has no tile_sample_min_size"
    vae.tile_sample_min_size = int(plan.tile_px)
    if hasattr(vae, "tile_latent_min_size"):
        vae.tile_latent_min_size = int(plan.tile_px) // 8
    return None


_ACTIONS = {
    "enable_vae_tiling": _on_pipe_or_vae("enable_vae_tiling", "enable_tiling"),
    "enable_vae_slicing": _on_pipe_or_vae("enable_vae_slicing", "enable_slicing"),
    "enable_attention_slicing": _pipe_method("enable_attention_slicing"),
    "enable_xformers_memory_efficient_attention":
        _pipe_method("enable_xformers_memory_efficient_attention"),
    "enable_memory_efficient_attention": _sdpa,
    "enable_attention_processor": _sdpa,
    "reduce_vae_sample_size": _vae_sample_size,
    "enable_model_cpu_offload": _pipe_method("enable_model_cpu_offload"),
    "enable_sequential_cpu_offload": _pipe_method("enable_sequential_cpu_offload"),
}


def apply_diffusers(pipe, plan, attn_processor=None):
    """Enables on PIPE the savers PLAN (a headroom.DiffusionPlan) turns on
    and that have an effect. ATTN_PROCESSOR replaces diffusers'
    AttnProcessor2_0 for the SDPA savers. A saver whose call raises is
    reported unavailable with the exception; the others still apply.
    Returns AppliedSavers."""
    actions = _ACTIONS
    ctx = {"pipe": pipe, "attn_processor": attn_processor}
    result = AppliedSavers([], {}, {})
    wanted = []
    for s in plan.savers:
        if not s.on:
            result.skipped[s.name] = "off (%s)" % s.reason
        elif not s.effective:
            result.skipped[s.name] = "no effect here (%s)" % s.reason
        elif s.name not in actions:
            result.skipped[s.name] = "not a pipeline call (%s)" % s.reason
        else:
            wanted.append(s.name)
    wanted.sort(key=lambda name: name in _OFFLOAD)
    for name in wanted:
        try:
            why = actions[name](plan, ctx)
        except Exception as exc:  # the pipeline refused: report, go on
            why = "%s failed: %s: %s" % (name, type(exc).__name__, exc)
        if why is None:
            result.applied.append(name)
        else:
            result.unavailable[name] = why
    return result
