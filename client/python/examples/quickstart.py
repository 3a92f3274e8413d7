"""Quickstart: train a flow on 8 gaussians, sample it, plot it, score it.

    python3 quickstart.py \
        --server 127.0.0.1:50051 --out quickstart.png

Uploads numpy 8-gaussians training points, follows the training job, draws
samples, writes a PNG of the data beside the samples (matplotlib, Agg) and
prints the test NLL: the mean -log p of held-out points, in nats per point.
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402 (after choosing the backend)
import numpy as np  # noqa: E402

import jkoflow  # noqa: E402


def eight_gaussians(n, seed):
    """n points of 8 gaussians (sd 0.2) on a circle of radius 2, [n, 2]."""
    rng = np.random.default_rng(seed)
    angles = rng.integers(0, 8, n) * (np.pi / 4)
    centres = 2.0 * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return (centres + 0.2 * rng.standard_normal((n, 2))).astype(np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--server", default="127.0.0.1:50051")
    parser.add_argument("--token", default=None, help="bearer token, if any")
    parser.add_argument("--model", default="quickstart")
    parser.add_argument("--out", default="quickstart.png")
    parser.add_argument("--blocks", type=int, default=6)
    parser.add_argument("--iterations", type=int, default=400)
    args = parser.parse_args()

    train, test = eight_gaussians(20000, seed=1), eight_gaussians(5000, seed=2)
    with jkoflow.Client(args.server, token=args.token) as client:
        job = client.train(args.model, data=train, blocks=args.blocks,
                           iterations=args.iterations, seed=0)
        print(f"training {job.id}")
        job.wait()  # a bar on a terminal, one line per block in a log
        print(f"model {job.model_name} version {job.model_version}")

        samples = client.sample(args.model, 5000, seed=0)
        nll = -client.log_prob(test, args.model).mean()

    fig, axes = plt.subplots(1, 2, figsize=(8, 4), sharex=True, sharey=True)
    for ax, points, title in ((axes[0], test, "data"),
                              (axes[1], samples, "samples")):
        ax.hist2d(points[:, 0], points[:, 1], bins=120,
                  range=[[-3.5, 3.5], [-3.5, 3.5]], cmap="magma")
        ax.set_title(title)
        ax.set_aspect("equal")
    fig.tight_layout()
    fig.savefig(args.out, dpi=100)
    print(f"wrote {args.out}")
    print(f"test NLL: {nll:.4f} nats/point")


if __name__ == "__main__":
    main()
