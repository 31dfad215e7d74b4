"""Plan a diffusion run before loading the pipeline: the image size that
fits, the memory savers to turn on and why, then (with diffusers) apply them.

    python3 examples/plan_diffusion.py --size 2048x2048 --model sdxl
    python3 examples/plan_diffusion.py --size 1024 --model sdxl \\
        --assume-device mps --assume-memory 16G        # plan for another machine

The configuration layers of `headroom plan diffusion` apply (a JSON file
from HEADROOM_CONFIG or DIFFUSIONAPI_MEMORY_CONFIG, HEADROOM_* variables).
"""

import argparse

import headroom


def describe(plan):
    w, h = plan.size
    print("device   %s (%s): %s" % (plan.device.torch_device, plan.device.name,
                                    plan.device.budget_source))
    print("level    %s: %s" % (plan.level, plan.level_reason))
    print("size     %dx%d (%s): %s" % (w, h, plan.size_action, plan.size_reason))
    print("dtype    %s: %s" % (plan.dtype, plan.dtype_reason))
    print("tiles    %d px, %d px overlap" % (plan.tile_px, plan.tile_overlap_px))
    print("verdict  %s: %s" % (plan.verdict, plan.verdict_reason))
    print("savers")
    for s in plan.savers:
        mark = "on " if s.on and s.effective else "off" if not s.on else "n/a"
        print("  %s %-44s %s" % (mark, s.name, s.reason))
    for line in plan.cleanup:
        print("cleanup  %s" % line)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="1024x1024")
    ap.add_argument("--model", default="sdxl", help="sd15, sd2, sdxl, sd3, flux")
    ap.add_argument("--assume-device", help="cuda, rocm, mps or cpu (else: this machine)")
    ap.add_argument("--assume-memory", help="that device's memory, e.g. 16G")
    ap.add_argument("--apply", metavar="MODEL_ID",
                    help="load this diffusers pipeline and apply the plan (needs diffusers)")
    args = ap.parse_args(argv)
    plan = headroom.plan_diffusion(args.size, model=args.model,
                                   assume_device=args.assume_device,
                                   assume_memory=args.assume_memory)
    describe(plan)
    device, dtype = headroom.torch_device(assume_device=args.assume_device,
                                          assume_memory=args.assume_memory)
    print("torch    device=%r dtype=%r" % (device, dtype))
    if args.apply:
        import torch
        from diffusers import DiffusionPipeline

        pipe = DiffusionPipeline.from_pretrained(args.apply, torch_dtype=getattr(torch, dtype))
        done = headroom.apply_diffusers(pipe, plan)
        if not any(n.endswith("cpu_offload") for n in done.applied):
            pipe.to(device)
        print("applied      %s" % ", ".join(done.applied))
        for name, why in done.unavailable.items():
            print("unavailable  %s: %s" % (name, why))
    return plan


if __name__ == "__main__":
    main()
