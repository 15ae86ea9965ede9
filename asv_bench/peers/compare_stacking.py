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

Run: ``python asv_bench/peers/compare_stacking.py`` (a few minutes on two
cores). Target (DESIGN.md section 5): the grid search at least 5x faster.
Member fits alone bound the ratio (:func:`member_fit_bound`): with S = 3
outer splits and the final refit it is at most 4.0x (4.8x for
fold_average, which fits no member on all rows); without the final refit
5x (6x).
"""

import tempfile
import time
import warnings

import numpy as np
from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier, StackingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, train_test_split
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import OOFStacker


def members():
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


def grid_search(X, y, refit, member_list=members, repeat=1):
    """GridSearchCV over 5 values of C: (seconds, search) for sklearn's stacking,
    OOFStacker with memory, and the same with fold-averaged test predictions.

    With ``repeat`` > 1 the three searches run in turn that many times (each
    round starting with the next one) and each keeps its best time: a
    forest's fit time drifts by 10-15 % between runs on a shared machine,
    which one run of each side turns into the ratio's noise.
    """
    final = LogisticRegression(max_iter=1000)
    grid = {"final_estimator__C": [0.01, 0.1, 1.0, 10.0, 100.0]}
    assert len(grid["final_estimator__C"]) == N_CANDIDATES

    def sklearn_search():
        return GridSearchCV(
            StackingClassifier(member_list(), final, cv=N_INNER), grid, cv=N_OUTER, refit=refit
        ).fit(X, y)

    def ours(kind):
        # A fresh cache each time: no run may reuse fits that another one made.
        with tempfile.TemporaryDirectory() as cache:
            stacker = OOFStacker(
                member_list(), final, cv=N_INNER, memory=cache, test_predictions=kind
            )
            return GridSearchCV(stacker, grid, cv=N_OUTER, refit=refit).fit(X, y)

    searches = [sklearn_search, lambda: ours("refit"), lambda: ours("fold_average")]
    best = [None] * len(searches)
    for round_ in range(repeat):
        # Each round starts with another search: none always follows sklearn's long one.
        for i in np.roll(np.arange(len(searches)), -round_):
            run = timed(searches[i])
            if best[i] is None or run[0] < best[i][0]:
                best[i] = run
    np.testing.assert_allclose(
        best[1][1].cv_results_["mean_test_score"],
        best[0][1].cv_results_["mean_test_score"],
    )
    return tuple(best)


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

    for refit in (True, False):
        (t_sk_gs, sk_gs), (t_gs, gs), (t_avg_gs, avg_gs) = grid_search(X_tr, y_tr, refit)
        label = "with final refit" if refit else "no final refit"
        score_sk = sk_gs.score(X_te, y_te) if refit else sk_gs.best_score_
        score = gs.score(X_te, y_te) if refit else gs.best_score_
        score_avg = avg_gs.score(X_te, y_te) if refit else avg_gs.best_score_
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
