"""Side by side, in one run: skfusion's voting kernels against their peers.

1. Hard vote, 10 members x 1e6 rows: sklearn's VotingClassifier voting step
   (its own ``predict``, members stubbed to return precomputed labels) vs
   skfusion's ``hard_vote`` kernel and ``WeightedBlender.predict``.
2. Soft vote, 20 members x 1e6 rows x 10 classes, float64, given as a list of
   20 arrays: skfusion's ``soft_vote`` vs ``np.tensordot(w, P, axes=1)`` on
   the already stacked (20, 1e6, 10) array (BLAS; the read-bandwidth limit)
   and vs ``np.average(P, axis=0, weights=w)`` (sklearn's soft voting).
3. Caruana selection, 20 members x 1e5 rows x 10 classes, 50 rounds, log-loss:
   skfusion's kernel vs a textbook implementation that keeps the running sum
   but rescores the whole (n, k) ensemble with sklearn's log_loss for every
   candidate. The picks must be identical.
4. Layouts: the public ``skfusion.blend`` (checks included) on the same
   predictions given as a list of arrays, one C-ordered block (the layout of
   sklearn's voting and of files), its F-ordered copy and a member-major
   view: soft vote 20 x 1e6 x 10, hard vote 10 x 1e6. Each layout's time
   over the fastest's (target: every one within 1.3x).

Run: ``python asv_bench/peers/compare_voting.py`` (about two minutes on
two cores). Targets: doc/benchmarks.rst.
"""

import argparse
import time
from functools import partial

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.ensemble import VotingClassifier
from sklearn.metrics import log_loss

from skfusion import WeightedBlender, blend, config_context
from skfusion._kernels import _numba


def best_of(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


class StubClassifier(ClassifierMixin, BaseEstimator):
    """Returns precomputed outputs, so only the voting itself is timed."""

    def __init__(self, labels=None, proba=None):
        self.labels = labels
        self.proba = proba

    def fit(self, X, y):
        self.classes_ = np.unique(y)
        return self

    def predict(self, X):
        return self.labels

    def predict_proba(self, X):
        return self.proba


def hard_vote(n_rows, n_members, n_classes, repeat):
    rng = np.random.default_rng(0)
    labels = [rng.integers(0, n_classes, n_rows) for _ in range(n_members)]
    weights = rng.integers(1, 4, n_members).astype(float)
    X = np.zeros((n_rows, 1))
    y_fit = np.arange(n_rows) % n_classes
    members = [(f"m{i}", StubClassifier(labels=labels[i])) for i in range(n_members)]
    voting = VotingClassifier(members, voting="hard", weights=weights).fit(X, y_fit)
    blender = WeightedBlender(members, voting="hard", weights=weights).fit(X, y_fit)

    _numba.hard_vote([lab[:10] for lab in labels], weights, n_classes)  # compile, not timed
    t_sklearn = best_of(lambda: voting.predict(X), 1)
    t_kernel = best_of(lambda: _numba.hard_vote(labels, weights, n_classes), repeat)
    t_blender = best_of(lambda: blender.predict(X), repeat)
    np.testing.assert_array_equal(voting.predict(X), blender.predict(X))
    return [
        ("hard vote: sklearn VotingClassifier.predict", t_sklearn, None),
        ("hard vote: skfusion hard_vote kernel", t_kernel, t_sklearn / t_kernel),
        ("hard vote: skfusion WeightedBlender.predict", t_blender, t_sklearn / t_blender),
    ]


def soft_vote(n_rows, n_members, n_classes, repeat):
    rng = np.random.default_rng(1)
    arrays = [rng.random((n_rows, n_classes)) for _ in range(n_members)]
    weights = rng.random(n_members)
    weights /= weights.sum()
    stacked = np.stack(arrays)  # for the peers only; skfusion reads the list
    _numba.soft_vote([a[:10] for a in arrays], weights)  # compile, not timed

    t_tensordot = best_of(lambda: np.tensordot(weights, stacked, axes=1), repeat)
    t_average = best_of(lambda: np.average(stacked, axis=0, weights=weights), repeat)
    t_kernel = best_of(lambda: _numba.soft_vote(arrays, weights), repeat)
    np.testing.assert_allclose(
        _numba.soft_vote(arrays, weights), np.tensordot(weights, stacked, axes=1), rtol=1e-10
    )
    return [
        ("soft vote: np.tensordot on stacked (BLAS)", t_tensordot, None),
        ("soft vote: np.average (sklearn)", t_average, None),
        ("soft vote: skfusion soft_vote, list", t_kernel, None),
        ("  soft_vote time / tensordot time", t_kernel / t_tensordot, None),
        ("  np.average time / soft_vote time", t_average / t_kernel, None),
    ]


def textbook_caruana(arrays, y, n_iter, labels):
    running = np.zeros_like(arrays[0])
    candidate = np.empty_like(arrays[0])
    picks = []
    for t in range(n_iter):
        losses = []
        for p in arrays:
            np.add(running, p, out=candidate)
            candidate /= t + 1
            losses.append(log_loss(y, candidate, labels=labels))
        best = int(np.argmin(losses))
        picks.append(best)
        running += arrays[best]
    return np.array(picks)


def autogluon_caruana(arrays, y, n_iter):
    """AutoGluon's own ensemble selection: (seconds, picks), None without AutoGluon."""
    try:
        from autogluon.core.metrics import log_loss as autogluon_log_loss
        from autogluon.core.models.greedy_ensemble.ensemble_selection import EnsembleSelection
    except ImportError:
        return None
    selection = EnsembleSelection(n_iter, "multiclass", autogluon_log_loss)
    selection.use_best = False  # keep all n_iter picks, as the other two do
    start = time.perf_counter()
    selection.fit(arrays, y)
    return time.perf_counter() - start, np.array(selection.indices_)


def caruana(n_rows, n_members, n_classes, n_iter):
    rng = np.random.default_rng(2)
    y = rng.integers(0, n_classes, n_rows)
    arrays = []
    for noise in np.linspace(1.0, 3.0, n_members):
        logits = 1.5 * np.eye(n_classes)[y] + noise * rng.normal(size=(n_rows, n_classes))
        p = np.exp(logits)
        arrays.append(p / p.sum(axis=1, keepdims=True))
    _numba.caruana_select([a[:10] for a in arrays], y[:10], 1)  # compile, not timed
    start = time.perf_counter()
    ours, _ = _numba.caruana_select(arrays, y, n_iter)
    t_kernel = time.perf_counter() - start
    start = time.perf_counter()
    theirs = textbook_caruana(arrays, y, n_iter, labels=np.arange(n_classes))
    t_textbook = time.perf_counter() - start
    same = bool(np.array_equal(ours, theirs))
    rows = [
        ("caruana: textbook (rescore per candidate)", t_textbook, None),
        ("caruana: skfusion kernel", t_kernel, t_textbook / t_kernel),
        (f"  identical picks: {same}", float(same), None),
    ]
    autogluon = autogluon_caruana(arrays, y, n_iter)
    if autogluon is not None:
        t_autogluon, picks = autogluon
        same = bool(np.array_equal(ours, picks))
        rows += [
            ("caruana: AutoGluon EnsembleSelection", t_autogluon, t_autogluon / t_kernel),
            (f"  identical picks (AutoGluon): {same}", float(same), None),
        ]
    return rows


def layouts(n_rows, repeat):
    """``blend`` on each layout of the same predictions: [(name, seconds, time / fastest)].

    The layouts are timed in turn, ``repeat`` rounds, each keeping its best
    time: timed one after the other, a layout's runs shared one stretch of
    the machine's drifting speed, which moved the ratios by more than the
    layouts differ (the list layout once came out 1.73x the fastest).
    """
    rng = np.random.default_rng(3)
    # Soft voting averages probabilities (blend checks them): rows summing to 1.
    probabilities = [rng.random((n_rows, 10)) for _ in range(20)]
    for p in probabilities:
        p /= p.sum(axis=1, keepdims=True)
    cases = {
        "soft": (probabilities, rng.random(20)),
        "hard": ([rng.integers(0, 5, n_rows) for _ in range(10)], rng.integers(1, 4, 10)),
    }
    rows = []
    for voting, (arrays, weights) in cases.items():
        block = np.stack(arrays, axis=1)  # (n, M[, k]), C order
        given = {
            "list": arrays,
            "C block": block,
            "F block": np.asfortranarray(block),
            "member-major view": np.moveaxis(np.stack(arrays), 0, 1),
        }
        del block
        expected = blend(arrays, weights, voting=voting)
        for predictions in given.values():  # compiles, and checks each layout's result
            np.testing.assert_allclose(blend(predictions, weights, voting=voting), expected)
        times = dict.fromkeys(given, np.inf)
        for _ in range(repeat):
            for name, predictions in given.items():
                seconds = best_of(partial(blend, predictions, weights, voting=voting), 1)
                times[name] = min(times[name], seconds)
        fastest = min(times.values())
        rows += [(f"{voting} vote, {name}", t, t / fastest) for name, t in times.items()]
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke run")
    args = parser.parse_args(argv)
    scale = 100 if args.quick else 1
    rows = []
    with config_context(engine="numba"):
        rows += hard_vote(1_000_000 // scale, 10, 5, repeat=5)
        rows += soft_vote(1_000_000 // scale, 20, 10, repeat=5)
        rows += caruana(100_000 // scale, 20, 10, 50)
    print(f"{'what':<48}{'seconds / ratio':>16}{'speed-up':>10}")
    for name, value, speedup in rows:
        extra = f"{speedup:>9.1f}x" if speedup is not None else ""
        print(f"{name:<48}{value:>16.4f}{extra}")
    print(f"\n{'blend on each layout':<48}{'seconds':>16}{'/ fastest':>10}")
    for name, seconds, share in layouts(1_000_000 // scale, repeat=5):
        print(f"{name:<48}{seconds:>16.4f}{share:>9.2f}x")


if __name__ == "__main__":
    main()
