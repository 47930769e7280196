#!/usr/bin/env python3
"""The reference for `lake train --job orders`: scikit-learn fitting the same k-means model.

    python3 bench/sklearn_orders.py --silver LAKE/silver_orders

Reads the duration_session column of lake's silver_orders Parquet files with pyarrow (timed:
`read_seconds`), drops missing and non-finite values (lake's training skips those rows too),
then fits StandardScaler + KMeans(n_clusters=2, n_init=1, init="k-means++", algorithm="lloyd",
random_state=42) (timed: `fit_seconds`, scaling included: lake standardises too). Prints one
JSON line: rows, both times, Lloyd iterations, the centers in seconds (ascending, as lake orders
its labels) with their shares of the rows, sklearn's thread count.

Not the same computation step for step: sklearn's k-means++ is "greedy" (2 + log k candidates
per step, the best kept) and its own RNG, lake's is plain k-means++ seeded by SplitMix64, so the
initial centers differ; on this bimodal feature both converge to the same two clusters (the
e2e tests compare lake with sklearn from the same initial centers). sklearn runs Lloyd on every
core (OpenMP); lake's fit is single-threaded. bench/run.sh times the whole process too (Python
start-up and `import sklearn` are ~1 s of it); the ratio uses read + fit.
"""

import argparse
import json
import os
import time

import numpy as np
import pyarrow.dataset as ds
import sklearn
from sklearn.cluster import KMeans
from sklearn.preprocessing import StandardScaler
from threadpoolctl import threadpool_info


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--silver", required=True, help="lake's silver_orders folder")
    parser.add_argument("--feature", default="duration_session")
    args = parser.parse_args()

    started = time.perf_counter()
    # Every Parquet file under the folder (date=… partitions; _delta_log is skipped, as are
    # names starting with _ or .). A fresh lake after one `run all` has no retired files.
    table = ds.dataset(args.silver, format="parquet").to_table(columns=[args.feature])
    x = table.column(0).to_numpy(zero_copy_only=False).astype(np.float64)
    x = x[np.isfinite(x)].reshape(-1, 1)
    read_done = time.perf_counter()

    scaler = StandardScaler()
    scaled = scaler.fit_transform(x)
    model = KMeans(n_clusters=2, n_init=1, init="k-means++", algorithm="lloyd", random_state=42)
    model.fit(scaled)
    fit_done = time.perf_counter()

    centers = scaler.inverse_transform(model.cluster_centers_)[:, 0]
    sizes = np.bincount(model.labels_, minlength=2)
    order = np.argsort(centers)
    threads = max((p.get("num_threads", 1) for p in threadpool_info()
                   if p.get("user_api") == "openmp"), default=os.cpu_count())
    print(json.dumps({
        "rows": int(len(x)),
        "read_seconds": round(read_done - started, 3),
        "fit_seconds": round(fit_done - read_done, 3),
        "seconds": round(fit_done - started, 3),
        "iterations": int(model.n_iter_),
        "centers": [round(float(centers[i]), 2) for i in order],
        "shares": [round(float(sizes[i]) / len(x), 4) for i in order],
        "threads": threads, "sklearn": sklearn.__version__}))


if __name__ == "__main__":
    main()
