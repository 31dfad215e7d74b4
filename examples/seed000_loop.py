"""Seed 000's batch loop on headroom: the guide's "Strategy 2" code below is
verbatim except its import line (`from image_gen.utils.thermal_manager
import BatchThermalManager` became `from headroom import
BatchThermalManager`).

The image generator is simulated (no GPU needed): an SDXL image of 25
denoising steps at 4.5 s/step, twice as slow for a stretch of images as if
the machine throttled. The defaults take real time, as the real job would;
--seconds-per-step 0.05 makes a quick run (the seed's 60 s batch breaks stay
60 s: they are the seed's code).

What headroom does better with the same code: the seed compared each whole
image (25 x 4.5 s) with the 4.5 s per-step baseline and cooled before
nearly every image; headroom notices that each call covers several steps,
warns once (pass units=25 to record_timing), learns the per-image baseline,
and cools for the throttled stretch and at batch boundaries only.

    python3 examples/seed000_loop.py [--images 25] [--seconds-per-step 4.5]
"""

import argparse
import time


class SimulatedSdxl:
    """generate_image(params) -> elapsed seconds."""

    def __init__(self, seconds_per_step, slow_images, steps=25):
        self.seconds_per_step = seconds_per_step
        self.slow_images = set(slow_images)
        self.steps = steps
        self.done = 0

    def __call__(self, image_params):
        start = time.time()
        factor = 2.0 if self.done in self.slow_images else 1.0
        time.sleep(self.steps * self.seconds_per_step * factor)
        self.done += 1
        return time.time() - start


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--images", type=int, default=25)
    ap.add_argument("--seconds-per-step", type=float, default=4.5)
    args = ap.parse_args(argv)
    generate_image = SimulatedSdxl(args.seconds_per_step, slow_images=range(13, 17))
    batch = [{"seed": 42 + i} for i in range(args.images)]

    # ---- seed 000, "Strategy 2: Batch Processing with Cooling" (verbatim but the import) ----
    from headroom import BatchThermalManager

    thermal_mgr = BatchThermalManager(
        batch_size=10,                # Cool every 10 images
        batch_cooling_duration=60,    # 60-second breaks between batches
        baseline_time_per_step=4.5,
        throttle_threshold=1.3,       # More aggressive (30% slowdown triggers cooling)
    )

    for i, image_params in enumerate(batch):
        # Automatic batch boundary cooling
        if thermal_mgr.should_cool():
            thermal_mgr.cooling_break()
        
        # Generate and record
        elapsed = generate_image(image_params)
        thermal_mgr.record_timing(elapsed)
    # ---- end of the seed's code ----

    thermal_mgr.print_stats()
    return thermal_mgr


if __name__ == "__main__":
    main()
