"""Plots of samples and of a model's per-block report, with matplotlib.

    import jkoflow, jkoflow.plot
    client = jkoflow.Client("127.0.0.1:50051")
    fig = jkoflow.plot.model_samples(client, "demo", 10000, seed=7)
    fig.savefig("samples.png")
    jkoflow.plot.report(client.info("demo")).savefig("report.png")

matplotlib is optional (pip install jkoflow[plot]); importing this module
without it raises ImportError naming the extra. Every figure has axes with
tick labels and a title; nothing here talks to a display (the caller
picks the backend).
"""

import math

import numpy as np

try:
    import matplotlib.figure
except ImportError as e:  # pragma: no cover - depends on the environment
    raise ImportError("jkoflow.plot needs matplotlib: pip install "
                      "jkoflow[plot] (Debian: python3-matplotlib)") from e

from jkoflow import points as _points


def samples(x, title="samples", item_shape=None, kind="auto", fig=None):
    """Draws points x [n, d] (or images [n, *item_shape]) on a Figure and
    returns it. Image-shaped points (item_shape of two extents, or x of
    rank 3) make a grid of images; otherwise the first two coordinates
    make a hexbin density (kind "auto" above 2,000 points, or "hexbin") or
    a scatter ("scatter"), with axes named x1 and x2."""
    x = np.asarray(x)
    if item_shape is not None and len(item_shape) == 2:
        x = x.reshape((x.shape[0],) + tuple(item_shape))
    fig = fig or matplotlib.figure.Figure(figsize=(6, 6))
    if x.ndim == 3:
        return _image_grid(fig, x, title)
    if x.ndim != 2 or x.shape[1] < 1:
        raise ValueError(f"samples: expected points [n, d], got {x.shape}")
    ax = fig.add_subplot()
    x2 = x[:, :2] if x.shape[1] >= 2 else np.column_stack(
        [x[:, 0], np.zeros(len(x))])
    if kind == "auto":
        kind = "hexbin" if len(x) > 2000 else "scatter"
    if kind == "hexbin":
        hb = ax.hexbin(x2[:, 0], x2[:, 1], gridsize=80, cmap="magma",
                       mincnt=1)
        fig.colorbar(hb, ax=ax, label="points per cell")
    elif kind == "scatter":
        ax.scatter(x2[:, 0], x2[:, 1], s=2, alpha=0.5)
    else:
        raise ValueError(f"samples: kind {kind!r} (auto, hexbin, scatter)")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2" if x.shape[1] >= 2 else "")
    ax.set_aspect("equal", adjustable="datalim")
    suffix = f" (first 2 of {x.shape[1]} dimensions)" if x.shape[1] > 2 else ""
    ax.set_title(f"{title}{suffix}, n = {len(x):,}")
    return fig


def _image_grid(fig, images, title):
    n = images.shape[0]
    cols = math.ceil(math.sqrt(n))
    rows = math.ceil(n / cols)
    fig.set_size_inches(cols * 0.9 + 0.5, rows * 0.9 + 0.8)
    for i in range(n):
        ax = fig.add_subplot(rows, cols, i + 1)
        ax.imshow(images[i], cmap="gray_r", interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(f"{title}, {n} images of {images.shape[1]}×{images.shape[2]}")
    return fig


def model_samples(client, name, n, seed=0, version=0, kind="auto"):
    """Draws `n` samples of model `name` through `client` and plots them
    with samples(): a grid of images for an image-shaped model. The title
    names the model and its version."""
    info = client.info(name, version)
    x = client.sample(name, n, seed=seed, version=version)
    shape = _points.item_shape(info)
    title = f"{info.name} v{info.version}: samples (seed {seed})"
    return samples(x, title=title, kind=kind,
                   item_shape=shape if len(shape) == 2 else None)


def report(info, fig=None):
    """A model's per-block report from its ModelInfo (Client.info()): the
    per-block loss and its terms, the step size h, the movement
    E|T(x) − x|², the KL decrease over each block (on fixed rows, ± one
    standard error, negatives included), the entropy-free KL trajectory and
    the log-Sobolev certificate and the seed paper's Theorem 4.3 bound on KL
    where diagnostics were measured; one panel
    each, block index on the x axis."""
    blocks = list(info.blocks)
    if not blocks:
        raise ValueError(f"report: model {info.name} v{info.version} has no "
                         "blocks")
    k = np.array([b.index for b in blocks])
    fig = fig or matplotlib.figure.Figure(figsize=(14, 7))
    axes = fig.subplots(2, 3, sharex=True)
    ax = axes[0, 0]
    for label, values in (
            ("loss", [b.stats.loss for b in blocks]),
            ("potential E V(T(x))", [b.stats.potential for b in blocks]),
            ("−E ∫ div f", [b.stats.neg_divergence for b in blocks]),
            ("movement / 2h", [b.stats.movement_term for b in blocks])):
        ax.plot(k, values, marker="o", label=label)
    ax.set_ylabel("nats")
    ax.set_title("per-block loss and its terms")
    ax.legend(fontsize="small")
    axes[0, 1].plot(k, [b.h for b in blocks], marker="o")
    axes[0, 1].set_ylabel("h")
    axes[0, 1].set_title("JKO step size")
    axes[1, 0].semilogy(k, [max(b.stats.movement, 1e-300) for b in blocks],
                        marker="o")
    axes[1, 0].set_ylabel("E|T(x) − x|²")
    axes[1, 0].set_title("movement (log scale)")
    ax = axes[1, 1]
    ax.errorbar(k, [b.stats.kl_decrease for b in blocks],
                yerr=[b.stats.kl_decrease_std_error for b in blocks],
                marker="o", capsize=3)
    ax.axhline(0, color="grey", linestyle="--", linewidth=1)
    ax.set_ylabel("nats")
    ax.set_title("KL decrease per block ± s.e. (fixed rows)")
    measured = [b for b in blocks if b.diagnostics.points > 0]
    for ax, title, series in (
            (axes[0, 2], "KL(p_k ‖ N(0, I)) + H(p_0)",
             ((None, lambda b: b.diagnostics.kl_plus_entropy),)),
            (axes[1, 2], "bounds: KL(p_k ‖ N(0, I)) ≤",
             (("log-Sobolev certificate", lambda b: b.diagnostics.certificate),
              ("Theorem 4.3",
               lambda b: b.diagnostics.convergence_kl_bound)))):
        if measured:
            for label, value in series:
                ax.plot([b.index for b in measured],
                        [value(b) for b in measured], marker="o", label=label)
            if len(series) > 1:
                ax.set_yscale("log")
                ax.legend(fontsize="small")
        else:
            ax.text(0.5, 0.5,
                    "no diagnostics measured\n(diagnostic_points = 0)",
                    ha="center", va="center", transform=ax.transAxes)
        ax.set_title(title)
        ax.set_ylabel("nats")
    for ax in axes[1]:
        ax.set_xlabel("block")
        ax.set_xticks(k)
    fig.suptitle(f"{info.name} v{info.version}: {len(blocks)} blocks, "
                 f"d = {info.dim}")
    fig.tight_layout()
    return fig
