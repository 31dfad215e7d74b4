"""A training loop that reports each step's loss and grad_norm to headroom.

Under `headroom run` the steps go to the runner's step channel
(HEADROOM_STEP_FD) and land in its session beside the sensor readings, and
its governor can pause the job between steps for cooling:

    headroom run -o train.hrs -- python3 examples/train_under_run.py
    headroom report train.hrs

Run alone, it records its own session with an in-process recorder
(--session, default train-local.hrs). The work is simulated (pure Python,
no torch): a loss that decays with noise, a gradient norm that shrinks.

    python3 examples/train_under_run.py [--steps 200] [--step-seconds 0.05]
                                         [--batch-size 32] [--session FILE]
"""

import argparse
import contextlib
import math
import random
import time

import headroom


def train(steps, step_seconds, batch_size, seed=0):
    rng = random.Random(seed)
    loss = 2.5
    for step in range(steps):
        time.sleep(step_seconds)  # the forward and backward pass
        grad_norm = 4.0 * math.exp(-step / 60.0) + rng.uniform(0.0, 0.3)
        loss = max(0.05, loss * 0.985 + rng.uniform(-0.02, 0.02))
        headroom.step(step, units=batch_size, loss=loss, grad_norm=grad_norm,
                      lr=3e-4 * min(1.0, (step + 1) / 20))
        if step % 50 == 0:
            print("step %d loss %.3f grad_norm %.2f" % (step, loss, grad_norm), flush=True)
    return loss


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=200)
    ap.add_argument("--step-seconds", type=float, default=0.05)
    ap.add_argument("--batch-size", type=int, default=32)
    ap.add_argument("--session", default="train-local.hrs",
                    help="session file when not under `headroom run`")
    args = ap.parse_args(argv)
    if headroom.under_run():
        where = contextlib.nullcontext()
        print("under headroom run: steps go to the runner's session", flush=True)
    else:
        where = headroom.record(args.session, hz=1, overwrite=True)
        print("not under headroom run: recording %s" % args.session, flush=True)
    with where:
        loss = train(args.steps, args.step_seconds, args.batch_size)
    print("done: %d steps, final loss %.3f" % (args.steps, loss), flush=True)


if __name__ == "__main__":
    main()
