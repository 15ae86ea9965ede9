"""Every performance target (doc/benchmarks.rst), measured in one process, one table.

Columns: work | peer | peer time | skfusion time | ratio | target | met. The
ratio is the peer's time over skfusion's (higher is better) except where the
target is a bound on skfusion's time over a baseline (soft vote against
``tensordot``, DARE against a copy, import time), which the row says.

Peers: sklearn's VotingClassifier and StackingClassifier; a textbook Caruana
(the ensemble rescored for every candidate, as AutoGluon's ensemble selection
does); a per-draw loop for the Bayesian bootstrap, and arviz's ``compare``
when arviz is installed; TIES with an argsort top-k on stacked task vectors,
as mergekit computes it. AutoGluon itself is used when it is installed;
river's EWARegressor (online weights) when ``--river-python`` names the
python of an environment with river 0.26.1 (see ``compare_online.py``).
GPU rows (share of the measured device copy bandwidth) when cupy runs. The
``skfusion blend`` command on 50 model files of 200 000 rows has no peer: its
target is a time. Exact Shapley contributions against a naive subset loop
(timed on a sample of the subsets), diversity matrices against a per-pair
loop.
Numba compile times are measured in fresh processes, with an empty cache
directory and with a warm one.

Run: ``python asv_bench/peers/run_all.py`` (about 16 minutes on two cores,
10 of them the grid-search rows), ``--quick`` for small sizes (ratios are
then indicative only).
"""

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import compare_bma  # noqa: E402
import compare_diversity  # noqa: E402
import compare_merge  # noqa: E402
import compare_online  # noqa: E402
import compare_shapley  # noqa: E402
import compare_stacking  # noqa: E402
import compare_voting  # noqa: E402

from skfusion import config_context  # noqa: E402


class Table:
    def __init__(self):
        self.rows = []

    def add(self, work, peer, peer_s, ours_s, ratio, target, met):
        self.rows.append((work, peer, peer_s, ours_s, ratio, target, met))
        print(f"  measured: {work}", flush=True)

    def print(self):
        header = ("work", "peer", "peer s", "skfusion s", "ratio", "target", "met")
        widths = [46, 36, 10, 12, 12, 20, 5]
        # The text columns as wide as their longest cell, so rows stay aligned.
        widths[0] = max([widths[0]] + [len(row[0]) + 2 for row in self.rows])
        widths[1] = max([widths[1]] + [len(row[1]) + 2 for row in self.rows])
        widths[4] = max([widths[4]] + [len(str(row[4])) + 2 for row in self.rows])
        print()
        print("".join(f"{h:<{w}}" for h, w in zip(header, widths)))
        for work, peer, peer_s, ours_s, ratio, target, met in self.rows:
            cells = [
                work,
                peer,
                "-" if peer_s is None else f"{peer_s:.4f}",
                "-" if ours_s is None else f"{ours_s:.4f}",
                ratio if isinstance(ratio, str) else f"{ratio:.2f}x",
                target,
                {True: "yes", False: "NO", None: "-"}[met],
            ]
            print("".join(f"{c:<{w}}" for c, w in zip(cells, widths)))


def voting_rows(table, scale):
    rows = {
        name: value for name, value, _ in compare_voting.hard_vote(1_000_000 // scale, 10, 5, 5)
    }
    peer = rows["hard vote: sklearn VotingClassifier.predict"]
    ours = rows["hard vote: skfusion hard_vote kernel"]
    table.add(
        f"hard vote 10 x {1_000_000 // scale:.0e} rows",
        "VotingClassifier.predict",
        peer,
        ours,
        peer / ours,
        ">= 100x",
        peer / ours >= 100,
    )
    n_soft = 1_000_000 // scale
    rows = {name: value for name, value, _ in compare_voting.soft_vote(n_soft, 20, 10, 5)}
    tensordot = rows["soft vote: np.tensordot on stacked (BLAS)"]
    average = rows["soft vote: np.average (sklearn)"]
    ours = rows["soft vote: skfusion soft_vote, list"]
    table.add(
        f"soft vote 20 x {n_soft:.0e} x 10 (time/peer)",
        "np.tensordot, stacked (BLAS)",
        tensordot,
        ours,
        f"{ours / tensordot:.2f} time",
        "<= 1.3 time",
        ours / tensordot <= 1.3,
    )
    table.add(
        f"soft vote 20 x {n_soft:.0e} x 10, list",
        "np.average (sklearn soft vote)",
        average,
        ours,
        average / ours,
        ">= 5x",
        average / ours >= 5,
    )
    layout_rows = compare_voting.layouts(n_soft, 11)
    for voting in ("soft", "hard"):
        rows = [r for r in layout_rows if r[0].startswith(voting)]
        slowest = max(rows, key=lambda r: r[2])
        table.add(
            f"blend, {voting} vote, 4 layouts (time/fastest)",
            "the fastest layout",
            min(r[1] for r in rows),
            slowest[1],
            f"{slowest[2]:.2f} time ({slowest[0].split(', ')[1]})",
            "<= 1.3 time",
            slowest[2] <= 1.3,
        )
    n_caruana = 100_000 // scale
    rows = compare_voting.caruana(n_caruana, 20, 10, 50)
    peer, ours = rows[0][1], rows[1][1]
    identical = rows[2][1] == 1.0
    table.add(
        f"Caruana 20 x {n_caruana:.0e} x 10, 50 rounds",
        "textbook (AutoGluon's way)",
        peer,
        ours,
        peer / ours,
        ">= 30x, same picks",
        peer / ours >= 30 and identical,
    )
    if len(rows) > 3:
        autogluon, identical = rows[3][1], rows[4][1] == 1.0
        table.add(
            f"Caruana 20 x {n_caruana:.0e} x 10, 50 rounds",
            "AutoGluon EnsembleSelection",
            autogluon,
            ours,
            autogluon / ours,
            ">= 30x, same picks",
            autogluon / ours >= 30 and identical,
        )
    else:
        table.add(
            "Caruana vs AutoGluon itself", "AutoGluon: not installed", None, None, "-", "-", None
        )


def bma_rows(table, quick):
    n = 10_000 if quick else 50_000
    t_loop, t_kernel, diff, lpd = compare_bma.same_draws(n)
    table.add(
        f"BB-pseudo-BMA+ 1000 draws, {n} rows",
        "per-draw python loop",
        t_loop,
        t_kernel,
        t_loop / t_kernel,
        ">= 4x, dw <= 0.01",
        t_loop / t_kernel >= 4 and diff <= 0.01,
    )
    try:
        import arviz
    except ImportError:
        table.add("weights vs arviz.compare", "arviz: not installed", None, None, "-", "-", None)
        return
    from skfusion.weights import bb_pseudo_bma_weights

    warnings.filterwarnings("ignore", module="arviz")
    data = {f"m{m}": compare_bma._arviz_elpd_data(lpd[:, m]) for m in range(lpd.shape[1])}
    t_arviz, result = compare_bma.timed(lambda: arviz.compare(data, method="BB-pseudo-BMA"))
    t_ours, w = compare_bma.timed(lambda: bb_pseudo_bma_weights(lpd, random_state=0))
    w_arviz = result.loc[list(data), "weight"].to_numpy(dtype=float)
    table.add(
        f"BB-pseudo-BMA weights, {n} rows",
        f"arviz {arviz.__version__} compare",
        t_arviz,
        t_ours,
        t_arviz / t_ours,
        f"(|dw| {np.abs(w - w_arviz).max():.3f})",
        None,
    )


def merge_rows(table, quick):
    n = 2_500_000 if quick else 25_000_000
    base, tensors = compare_merge._models(n, 4)
    t_peer, t_ties, differ, _ = compare_merge.ties_vs_argsort(base, tensors)
    table.add(
        f"TIES 4 x {n:.1e} float32",
        "argsort top-k (mergekit's way)",
        t_peer,
        t_ties,
        t_peer / t_ties,
        ">= 8x",
        t_peer / t_ties >= 8 and differ < 0.01,
    )
    t_copy, t_dare = compare_merge.dare_vs_copy(base, tensors)
    table.add(
        f"DARE 4 x {n:.1e} float32 (time/peer)",
        "np.copy of the 4 inputs",
        t_copy,
        t_dare,
        f"{t_dare / t_copy:.2f} time",
        "near copy: <= 2",
        t_dare / t_copy <= 2,
    )


def grid_rows(table, quick):
    """GridSearchCV of OOFStacker with ``memory`` against StackingClassifier:
    each part (an outer split's search, the final refit) timed in turn for
    the three searches, best of five rounds (one in the quick run), the
    final refit twice a round; the rows without the final refit leave that
    part out."""
    from sklearn.datasets import make_classification

    warnings.filterwarnings("ignore")
    X, y = make_classification(
        n_samples=1000 if quick else 3000,
        n_features=20,
        n_informative=8,
        n_classes=3,
        random_state=0,
    )
    searches = compare_stacking.grid_search(
        X, y, repeat=1 if quick else 5, final_timings=1 if quick else 2
    )
    for final_refit in (True, False):
        t_sk, *ours = (t + (t_final if final_refit else 0.0) for t, t_final, _, _ in searches)
        label = "final refit" if final_refit else "no final refit"
        for t_ours, fold_average in zip(ours, (False, True)):
            bound = compare_stacking.member_fit_bound(fold_average, final_refit)
            work = (
                f"GridSearchCV 5 x C, cv=3, {label}"
                if not fold_average
                else "  the same, test_predictions=fold_average"
            )
            ratio = t_sk / t_ours
            table.add(
                f"{work} (fits bound {bound:.1f}x)",
                "StackingClassifier",
                t_sk,
                t_ours,
                f"{ratio:.2f}x = {100 * ratio / bound:.0f} % of bound",
                ">= 85 % of bound",
                ratio >= 0.85 * bound,
            )


def saved_predictions_rows(table, quick):
    """The ``skfusion blend`` command on 50 model files of 200 000 rows, in a
    fresh process (its imports count), files written beforehand."""
    sys.path.insert(0, str(HERE.parent))
    from benchmarks.bench_saved import N_MODELS, N_ROWS, command, write_files

    n_rows = 20_000 if quick else N_ROWS
    with tempfile.TemporaryDirectory() as folder:
        write_files(folder, n_rows=n_rows, n_models=N_MODELS)
        for weighting in ("caruana", "optimize"):
            args = command(folder, weighting)
            seconds = _run_python(f"from skfusion._cli import main; main({args!r})")
            table.add(
                f"skfusion blend --weighting {weighting}: {N_MODELS} CSV x {n_rows} rows",
                "-",
                None,
                seconds,
                "-",
                "< 30 s (2 cores)",
                seconds < 30,
            )


# Subsets of the naive Shapley loop that are timed (of 4 096): the whole
# loop takes about 5 minutes, so it is timed on a sample and scaled; the
# full loop, with identical values, is compare_shapley.py.
NAIVE_SHAPLEY_SAMPLE = 256


def inspection_rows(table, quick):
    """Exact Shapley of 12 members (a naive subset loop, timed on a sample of
    the subsets) and diversity matrices of 50 models (a per-pair loop)."""
    from skfusion import WeightedBlender
    from skfusion.inspection import _SubsetScores, member_contributions

    n = 10_000 if quick else 100_000
    probas, y = compare_shapley.problem(n)
    blender = WeightedBlender.from_predictions(
        probas, y, weighting="optimize", scoring="neg_log_loss"
    )
    compare_shapley.warm_up(probas, y)
    start = time.perf_counter()
    member_contributions(blender)
    ours_s = time.perf_counter() - start
    masks = np.random.default_rng(0).choice(4096, NAIVE_SHAPLEY_SAMPLE, replace=False)
    start = time.perf_counter()
    naive = compare_shapley.naive_values(probas, y, blender.weights_, np.arange(10), masks)
    naive_s = (time.perf_counter() - start) * 4096 / NAIVE_SHAPLEY_SAMPLE
    values = _SubsetScores(blender, "neg_log_loss").all_values()[masks]
    np.testing.assert_allclose(values, naive, rtol=1e-9)
    table.add(
        f"exact Shapley, 12 members x {n} x 10 (log-loss)",
        f"naive subset loop ({NAIVE_SHAPLEY_SAMPLE}/4096 timed, x16)",
        naive_s,
        ours_s,
        naive_s / ours_s,
        ">= 20x",
        naive_s / ours_s >= 20,
    )
    n = 100_000 if quick else 1_000_000
    loop_s, ours_s = compare_diversity.main([], n=n)
    table.add(
        f"pairwise Q-statistics, 50 models x {n}",
        "per-pair numpy loop",
        loop_s,
        ours_s,
        loop_s / ours_s,
        ">= 10x",
        loop_s / ours_s >= 10,
    )


def online_rows(table, quick, river_python):
    """Online weights of 3 members' saved predictions: river's EWARegressor
    (one ``learn_predict_one`` a row, in river's own environment) against one
    batch ``partial_fit``, per row."""
    n = 20_000 if quick else 100_000
    predictions, y = compare_online.member_stream(n)
    _, ours_s, _ = compare_online.skfusion_weights(predictions, y)
    work = f"online weights (Hedge), 3 members x {n} rows"
    if river_python is None:
        table.add(work, "river: not given (--river-python)", None, ours_s, "-", "-", None)
        return
    river_s, _ = compare_online.river_ewa(river_python, predictions, y)
    ratio = river_s / ours_s
    table.add(
        work, "river EWARegressor, a call a row", river_s, ours_s, ratio, ">= 50x", ratio >= 50
    )


def _run_python(code, env=None):
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, env=env, capture_output=True)
    return time.perf_counter() - start


def import_and_compile_rows(table):
    import_s = min(_run_python("import skfusion") for _ in range(3))
    baseline = min(_run_python("pass") for _ in range(3))
    table.add(
        "import skfusion (minus bare python)",
        "-",
        None,
        import_s - baseline,
        "-",
        "< 0.5 s",
        import_s - baseline < 0.5,
    )
    code = (
        "import time, numpy as np\n"
        "from skfusion._kernels import _numba\n"
        "p = [np.random.rand(100, 3) for _ in range(4)]\n"
        "t = time.perf_counter(); _numba.soft_vote(p, np.ones(4))\n"
        "print(time.perf_counter() - t)\n"
    )
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        times = []
        for _ in range(2):  # an empty cache, then the one the first run wrote
            out = subprocess.run(
                [sys.executable, "-c", code], check=True, env=env, capture_output=True, text=True
            ).stdout
            times.append(float(out.split()[-1]))
    table.add(
        "numba soft_vote, first call in a process",
        "empty cache (compiles)",
        times[0],
        times[1],
        times[0] / times[1],
        "cached on disk",
        times[1] < times[0],
    )


def gpu_rows(table):
    from skfusion._kernels import _load

    backend = _load("cupy")
    if isinstance(backend, str):
        table.add(
            "GPU soft vote, share of copy bandwidth",
            f"no GPU: {backend[:60]}",
            None,
            None,
            "-",
            ">= 70 %",
            None,
        )
        return
    compare_gpu = importlib.import_module("compare_gpu")
    copy_bw, share, seconds = compare_gpu.soft_vote_share()
    table.add(
        "GPU soft vote 20 x 1e6 x 10, list",
        f"device copy {copy_bw / 1e9:.0f} GB/s",
        None,
        seconds,
        f"{100 * share:.1f} %",
        ">= 70 %",
        share >= 0.7,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke run")
    parser.add_argument("--river-python", help="python of an environment with river 0.26.1")
    args = parser.parse_args(argv)
    table = Table()
    with config_context(engine="numba"):
        voting_rows(table, 100 if args.quick else 1)
        bma_rows(table, args.quick)
        merge_rows(table, args.quick)
    grid_rows(table, args.quick)
    saved_predictions_rows(table, args.quick)
    inspection_rows(table, args.quick)
    online_rows(table, args.quick, args.river_python)
    import_and_compile_rows(table)
    gpu_rows(table)
    table.print()
    return table


if __name__ == "__main__":
    main()
