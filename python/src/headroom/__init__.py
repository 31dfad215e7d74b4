"""headroom: what this machine can take, in the training loop.

    import headroom

    p = headroom.probe()                                   # the machine, as dataclasses
    plan = headroom.plan_diffusion("1024x1024", model="sdxl")
    device, dtype = headroom.torch_device()                # ("cuda:0", "bfloat16")
    headroom.apply_diffusers(pipe, plan)                   # the savers the plan names

    mgr = headroom.BatchThermalManager(batch_size=10)      # drop-in for seed 000's class
    with headroom.record("run.hrs"):                       # an in-process recorder
        for i, batch in enumerate(loader):
            loss = train_step(batch)
            headroom.step(i, units=len(batch), loss=loss)  # to `headroom run`, or the session

A pure-Python binding over ctypes to libheadroom (loaded on first use:
HEADROOM_LIB, the source tree's build/, then libheadroom.so.0; see
headroom._lib). headroom.step() works without the library.
"""

from ._errors import HeadroomError, all_classes as _all_error_classes
from ._errors import error_class
from ._diffusers import AppliedSavers, apply_diffusers
from ._plan import (CachePlan, DeviceChoice, DiffusionPlan, ModelPlan, PlanDevice, Saver,
                    parse_bytes, plan_cache, plan_diffusion, plan_model, torch_device)
from ._probe import (Accelerator, Core, Cpu, Gpu, Host, LiveProbe, Memory, Probe, Psi,
                     RaplDomain, Sensor, Source, ThermalZone, Trip, probe)
from ._session import (EventRecord, Session, SessionData, StepRecord, current_session,
                       read_session, record)
from ._step import format_step_line, step, under_run
from ._thermal import BatchThermalManager, HeadroomUnitsWarning, ThermalManager, ThermalState

__version__ = "0.1.0"

# HeadroomError_NoLibrary, HeadroomError_InvalidArgument, ...: one per status code.
globals().update({cls.__name__: cls for cls in _all_error_classes().values()})


def library_version():
    """The loaded libheadroom's version string (loads the library)."""
    from ._lib import lib

    return lib().hr_version()


def library_path():
    """The path the library was loaded from (loads the library)."""
    from ._lib import lib

    return lib().path


__all__ = [
    "HeadroomError", "error_class", "probe", "Probe", "LiveProbe", "Host", "Cpu", "Core", "Psi",
    "Memory", "Sensor", "Trip", "ThermalZone", "RaplDomain", "Gpu", "Accelerator", "Source",
    "plan_model", "plan_diffusion", "plan_cache", "parse_bytes", "ModelPlan", "DiffusionPlan",
    "CachePlan", "PlanDevice", "Saver", "torch_device", "DeviceChoice", "apply_diffusers",
    "AppliedSavers", "ThermalManager", "BatchThermalManager", "ThermalState",
    "HeadroomUnitsWarning", "Session", "record", "read_session", "current_session",
    "SessionData", "StepRecord", "EventRecord", "step", "under_run", "format_step_line",
    "library_version", "library_path",
]
__all__.extend(sorted(cls.__name__ for cls in _all_error_classes().values()))
