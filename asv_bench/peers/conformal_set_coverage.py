"""Held-out coverage of the fused classifiers' conformal prediction sets.

For each data set (50/50 splits; the fuser is fitted on one half, its sets
scored on the other), each fuser and each score (LAC, randomised APS), the
share of held-out rows whose set holds the true label at 80, 90 and 95 %,
and the mean set size, averaged over ``SEEDS`` splits (each seeds the split,
the folds and the APS draws). ``--cv-plus``: the output-space fusers keep
their fold models (``test_predictions="fold_average"``) and make CV+ sets.
The conformal-uncertainty issue's band: within -1.5 / +3 points of
nominal. With n held-out rows one split's coverage has a sampling error of
about sqrt(c (1 - c) / n): 0.6 points at 90 % on 2 500 rows, 1.0 on 900
(more for randomised APS); the mean over the seeds is reported with the
spread between them.

Run: ``python asv_bench/peers/conformal_set_coverage.py`` (a few minutes).
"""

import sys

import numpy as np
from sklearn.datasets import load_digits, make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.naive_bayes import GaussianNB

from skfusion import BayesianModelAverager, OOFStacker, WeightedBlender, WeightSpaceFuser
from skfusion.metrics import coverage_score, set_size

LEVELS = (0.8, 0.9, 0.95)
SEEDS = (0, 1, 2)


def data_sets():
    X, y = make_classification(
        5000, n_features=12, n_informative=6, n_classes=4, class_sep=0.8, random_state=0
    )
    yield "synthetic 4 classes (5 000)", X, y
    X, y = load_digits(return_X_y=True)
    yield "digits (1 797)", X, y


def fusers(seed, cv_plus=False):
    members = [
        ("lr", LogisticRegression(max_iter=2000)),
        ("nb", GaussianNB()),
        ("forest", RandomForestClassifier(50, max_depth=8, random_state=0)),
    ]
    soup = [(f"c{i}", LogisticRegression(C=c, max_iter=2000)) for i, c in enumerate([0.01, 1])]
    kept = {"random_state": seed}
    if cv_plus:
        kept["test_predictions"] = "fold_average"
    return {
        "blend/optimize": WeightedBlender(members, weighting="optimize", **kept),
        "stacker": OOFStacker(members, **kept),
        "bma/stacking": BayesianModelAverager(members, **kept),
        "weight space": WeightSpaceFuser(soup, weighting="score", random_state=seed),
    }


def main(seeds=SEEDS, cv_plus=False):
    print(f"{'data':<30}{'fuser':<16}{'score':<6}" + "".join(f"{c:>20}" for c in LEVELS))
    worst = 0.0
    for data, X, y in data_sets():
        covered = {}  # (fuser, score, level) -> [coverage per seed], [set size per seed]
        for seed in seeds:
            X_fit, X_test, y_fit, y_test = train_test_split(X, y, test_size=0.5, random_state=seed)
            for name, fuser in fusers(seed, cv_plus).items():
                fuser.fit(X_fit, y_fit)
                kept = cv_plus and name != "weight space"
                for method in ("lac", "aps"):
                    for level in LEVELS:
                        sets = fuser.predict_set(X_test, level, method=method, cv_plus=kept)
                        cell = covered.setdefault((name, method, level), ([], []))
                        cell[0].append(coverage_score(y_test, sets, labels=fuser.classes_))
                        cell[1].append(set_size(sets))
        for name in fusers(0):
            for method in ("lac", "aps"):
                cells = []
                for level in LEVELS:
                    coverages, sizes = covered[(name, method, level)]
                    worst = max(worst, level - np.mean(coverages))
                    spread = np.ptp(coverages) / 2
                    cells.append(f"{np.mean(coverages):.3f}±{spread:.3f} ({np.mean(sizes):4.2f})")
                print(f"{data:<30}{name:<16}{method:<6}" + "".join(f"{c:>20}" for c in cells))
    print(
        f"\nmean coverage over {len(seeds)} splits ± half their range (mean set size); "
        f"largest mean shortfall below nominal: {100 * worst:.1f} points"
    )
    return worst


if __name__ == "__main__":
    np.seterr(all="ignore")
    main(cv_plus="--cv-plus" in sys.argv)
