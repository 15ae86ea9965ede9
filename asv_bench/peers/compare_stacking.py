"""OOFStacker side by side with sklearn's StackingClassifier, in one run.

Same members, same cv (unshuffled stratified 5-fold), same data:

1. fit time: sklearn, OOFStacker(test_predictions="refit") and
   OOFStacker(test_predictions="fold_average") (one fit fewer per member);
2. GridSearchCV over 5 values of ``final_estimator__C`` (3 outer splits):
   sklearn refits every member for every candidate; OOFStacker with
   ``memory=`` fits each member x fold once per outer split (also shown with
   ``test_predictions="fold_average"``, which has no refit of its own).
   Timed with GridSearchCV's final refit (both pay it once) and without;
3. the held-out score of each.

Run: ``python asv_bench/peers/compare_stacking.py`` (about six minutes on
two cores: each part of the grid search is timed three times). Member fits
alone bound the grid search's speed-up (:func:`member_fit_bound`): with
S = 3 outer splits and the final refit it is at most 4.0x (4.8x for
fold_average, which fits no member on all rows); without the final refit
5x (6x). The target (doc/benchmarks.rst) is 85 % of that bound.
"""

import os
import tempfile
import time
import warnings
from functools import partial

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import OOFStacker


def members(search=None):
    """The four members (the same for every ``search``, which names who asks)."""
    return [
        ("forest", RandomForestClassifier(n_estimators=100, random_state=0)),
        ("knn", KNeighborsClassifier(n_neighbors=15)),
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))),
        ("bayes", GaussianNB()),
    ]


N_CANDIDATES, N_OUTER, N_INNER = 5, 3, 5


def member_fit_bound(fold_average, final_refit):
    """sklearn's member fits over OOFStacker's in the grid search below.

    sklearn fits every member on each inner fold and on all rows, for every
    candidate x outer split; with ``memory`` OOFStacker fits them once per
    outer split (its candidates share the cache). The final refit adds one
    fit of the whole stack to each side.
    """
    final = int(final_refit)
    sklearn_fits = (N_CANDIDATES * N_OUTER + final) * (N_INNER + 1)
    ours = (N_OUTER + final) * (N_INNER + (0 if fold_average else 1))
    return sklearn_fits / ours


def timed(fn):
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def grid_search(X, y, refit=True, member_list=members, repeat=1, final_timings=1):
    """GridSearchCV over 5 values of C, for sklearn's stacking, OOFStacker with
    memory, and the same with fold-averaged test predictions.

    Returns one ``(seconds, final refit's seconds, best CV score, search's
    final model)`` per search, in the order sklearn, refit, fold_average:
    ``seconds`` is the search's without its final refit, which ``refit``
    adds (0 s and None without). ``member_list(search)`` gives the members
    of the search named "sklearn", "refit" or "fold_average".

    The work is GridSearchCV's with ``cv=3`` (stratified, as for any
    classifier), timed one part at a time so that the three searches take
    turns: each outer split's ``GridSearchCV(cv=[split])``, then, with
    ``refit``, the best candidate fitted on all rows as GridSearchCV's own
    refit does. A forest's fit time drifts by 10-15 % over minutes on a
    shared machine; whole searches timed one after the other turned that
    drift into the ratio's noise. With ``repeat`` > 1 every part is timed
    that many times, and each keeps its best time; the final refit,
    ``final_timings`` times per round (a single fit of the whole stack, whose
    best of five moved by about 10 % between runs). A search with and
    without its final refit differ only by that part, so one run times both.
    """
    final = LogisticRegression(max_iter=1000)
    grid = {"final_estimator__C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    assert len(grid["final_estimator__C"]) == N_CANDIDATES
    outer = list(StratifiedKFold(N_OUTER).split(X, y))
    kinds = ["sklearn", "refit", "fold_average"]
    # The outer splits, then the final refit (as often as asked).
    parts = list(range(N_OUTER)) + [N_OUTER] * (final_timings if refit else 0)
    seconds = {kind: np.full(N_OUTER + 1, np.inf) for kind in kinds}
    scores = {kind: np.zeros((N_OUTER, N_CANDIDATES)) for kind in kinds}  # split x candidate
    fitted = dict.fromkeys(kinds)

    with tempfile.TemporaryDirectory() as root:

        def stacker(kind, step):
            if kind == "sklearn":
                return StackingClassifier(member_list(kind), final, cv=N_INNER)
            # A cache per search and timed part: no run reuses fits another one made.
            cache = os.path.join(root, f"{kind}-{step}")
            return OOFStacker(
                member_list(kind), final, cv=N_INNER, memory=cache, test_predictions=kind
            )

        def part(kind, step, split):
            if split < N_OUTER:
                search = GridSearchCV(stacker(kind, step), grid, cv=[outer[split]], refit=False)
                return search.fit(X, y).cv_results_["split0_test_score"]
            best = int(np.argmax(scores[kind].mean(axis=0)))  # GridSearchCV's pick
            params = {"final_estimator__C": grid["final_estimator__C"][best]}
            return stacker(kind, step).set_params(**params).fit(X, y)

        for round_ in range(repeat):
            for i, split in enumerate(parts):
                step = round_ * len(parts) + i
                # Each part starts with another search: none always follows sklearn's.
                first = step % len(kinds)
                for kind in kinds[first:] + kinds[:first]:
                    t, result = timed(partial(part, kind, step, split))
                    seconds[kind][split] = min(seconds[kind][split], t)
                    if split < N_OUTER:
                        scores[kind][split] = result
                    else:
                        fitted[kind] = result

    np.testing.assert_allclose(scores["refit"], scores["sklearn"])
    return [
        (
            seconds[kind][:N_OUTER].sum(),
            seconds[kind][N_OUTER] if refit else 0.0,
            scores[kind].mean(axis=0).max(),
            fitted[kind],
        )
        for kind in kinds
    ]


def main():
    warnings.filterwarnings("ignore")
    X, y = make_classification(
        n_samples=4000, n_features=20, n_informative=8, n_classes=3, random_state=0
    )
    X_tr, X_te, y_tr, y_te = train_test_split(X, y, test_size=0.25, random_state=0)
    final = LogisticRegression(max_iter=1000)
    rows = []

    t_sk, sk = timed(lambda: StackingClassifier(members(), final).fit(X_tr, y_tr))
    t_refit, ours = timed(lambda: OOFStacker(members(), final).fit(X_tr, y_tr))
    t_avg, avg = timed(
        lambda: OOFStacker(members(), final, test_predictions="fold_average").fit(X_tr, y_tr)
    )
    np.testing.assert_allclose(ours.predict_proba(X_te), sk.predict_proba(X_te), rtol=1e-8)
    rows += [
        ("fit: sklearn StackingClassifier", t_sk, sk.score(X_te, y_te), None),
        ("fit: OOFStacker refit", t_refit, ours.score(X_te, y_te), t_sk / t_refit),
        ("fit: OOFStacker fold_average", t_avg, avg.score(X_te, y_te), t_sk / t_avg),
    ]

    searches = grid_search(X_tr, y_tr, repeat=3)
    held_out = [search[3].score(X_te, y_te) for search in searches]
    for refit in (True, False):
        label = "with final refit" if refit else "no final refit"
        (t_sk_gs, score_sk), (t_gs, score), (t_avg_gs, score_avg) = (
            (t + (t_final if refit else 0.0), held if refit else cv_score)
            for (t, t_final, cv_score, _), held in zip(searches, held_out)
        )
        bounds = [member_fit_bound(fold_average, refit) for fold_average in (False, True)]
        rows += [
            (f"grid 5 x C, {label}: sklearn", t_sk_gs, score_sk, None),
            (
                f"grid 5 x C, {label}: OOFStacker+memory (bound {bounds[0]:.1f}x)",
                t_gs,
                score,
                t_sk_gs / t_gs,
            ),
            (
                f"  the same, fold_average (bound {bounds[1]:.1f}x)",
                t_avg_gs,
                score_avg,
                t_sk_gs / t_avg_gs,
            ),
        ]

    print(f"{'what':<62}{'seconds':>9}{'score':>8}{'speed-up':>10}")
    for name, seconds, score, speedup in rows:
        extra = f"{speedup:>9.2f}x" if speedup is not None else ""
        print(f"{name:<62}{seconds:>9.2f}{score:>8.4f}{extra}")
    print("(scores: held-out accuracy; without the final refit, the best CV accuracy)")


if __name__ == "__main__":
    main()
