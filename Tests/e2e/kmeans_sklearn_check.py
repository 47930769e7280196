"""Cross-check of lake's k-means core (Sources/Lake/Gold/Model/KMeans.swift) against scikit-learn.

Not a pytest module (pytest collects test_*.py only): a standalone script, run on a dump that
the Swift tests write when asked,

    KMEANS_DUMP=/tmp/kmeans.json swift test --filter KMeans
    python3 Tests/e2e/kmeans_sklearn_check.py /tmp/kmeans.json

sklearn is given lake's own k-means++ picks as `init`, so the comparison covers standardisation
and Lloyd exactly; the seeding itself (plain k-means++ with SplitMix64) is lake's and is tested
in Swift. Needs numpy and scikit-learn (`pip install scikit-learn`).
"""

import json
import sys

import numpy as np
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler

RTOL = 1e-6
ATOL = 1e-12  # for values that are 0 up to rounding (a center at the mean)


def relative_difference(ours, theirs):
    """Largest |a - b| / max(|a|, |b|) over the arrays (0 where both are 0)."""
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    difference = np.abs(ours - theirs)
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(scale > 0, difference / scale, 0.0)
    return float(relative.max(initial=0.0))


def assert_close(name, ours, theirs):
    ours = np.asarray(ours, dtype=float)
    theirs = np.asarray(theirs, dtype=float)
    assert ours.shape == theirs.shape, f"{name}: shape {ours.shape} != sklearn's {theirs.shape}"
    assert np.allclose(ours, theirs, rtol=RTOL, atol=ATOL), (
        f"{name}: lake {ours.tolist()} != sklearn {theirs.tolist()}"
    )


def nearest(z, centers):
    """Index of the nearest center per row, ties to the lower index (argmin takes the first)."""
    distances = ((z[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def check(rows, model):
    """Fit sklearn on `rows` (raw features, one list per row) from the model's own initial
    centers, and assert that lake's `model` (a dict with means, stds, centers, initial_centers,
    iterations, and optionally labels) agrees. Returns a dict of the measured differences."""
    x = np.asarray(rows, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    x = x[np.isfinite(x).all(axis=1)]  # lake skips rows with a NaN or infinite feature

    scaler = StandardScaler().fit(x)
    z = scaler.transform(x)
    init = np.asarray(model["initial_centers"], dtype=float)
    fitted = KMeans(
        n_clusters=len(init), init=init, n_init=1, algorithm="lloyd", tol=0, max_iter=300
    ).fit(z)

    # sklearn keeps init order; lake orders centers by first coordinate, then the next ones.
    order = np.lexsort(fitted.cluster_centers_.T[::-1])
    sklearn_centers = fitted.cluster_centers_[order]
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    sklearn_labels = rank[fitted.labels_]

    stds = np.asarray(model["stds"], dtype=float)
    scales = np.where(stds == 0, 1.0, stds)  # lake stores 0 for a constant feature
    centers = np.asarray(model["centers"], dtype=float)
    if "labels" in model:
        labels = np.asarray(model["labels"])
    else:
        labels = nearest((x - np.asarray(model["means"])) / scales, centers)

    assert_close("means", model["means"], scaler.mean_)
    assert_close("stds", scales, scaler.scale_)
    assert_close("centers", centers, sklearn_centers)
    mismatched = int((labels != sklearn_labels).sum())
    assert mismatched == 0, f"labels: {mismatched} of {len(labels)} rows differ"
    assert model["iterations"] == fitted.n_iter_, (
        f"iterations: lake {model['iterations']} != sklearn {fitted.n_iter_}"
    )
    return {
        "rows": len(x),
        "k": len(init),
        "means": relative_difference(model["means"], scaler.mean_),
        "stds": relative_difference(scales, scaler.scale_),
        "centers": relative_difference(centers, sklearn_centers),
        "inertia": relative_difference(model.get("inertia", fitted.inertia_), fitted.inertia_),
        "labels_differing": mismatched,
        "iterations": int(fitted.n_iter_),
    }


def main(argv):
    if len(argv) != 2:
        print(f"usage: {argv[0]} DUMP.json  (written by KMEANS_DUMP=DUMP.json swift test "
              "--filter KMeans)", file=sys.stderr)
        return 2
    with open(argv[1]) as file:
        dump = json.load(file)
    result = check(dump["rows"], dump)
    print("k-means agrees with sklearn: " + ", ".join(f"{k} {v}" for k, v in result.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
