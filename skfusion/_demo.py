"""``skfusion demo``: every fuser on the digits data, side by side."""

import tempfile
import time


def demo():
    """Fuse five diverse classifiers on the digits data: each weighting, and stacking."""
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    from skfusion import get_config

    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
    members = _members()
    print(f"digits: {len(X_train)} training rows, {len(X_test)} held-out rows, 10 classes")
    print(f"kernel engine: {get_config()['engine']} (numba for large inputs, numpy for small)\n")
    runs = _fit_fusions(members, X_train, y_train)
    _print_members(runs[0][1], X_test, y_train, y_test)
    _print_fusions(runs, X_test, y_train, y_test)
    _print_model_averaging(runs, [name for name, _ in members])
    _print_member_report(runs)
    print("\nFits after the first reuse the cached member x fold fits (`memory=`).")
    _soup_rows(X_train, X_test, y_train, y_test)


def _members():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.naive_bayes import GaussianNB
    from sklearn.neighbors import KNeighborsClassifier
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    return [
        ("logreg", make_pipeline(StandardScaler(), LogisticRegression(C=0.1, max_iter=500))),
        ("forest", RandomForestClassifier(n_estimators=150, random_state=0)),
        ("knn", make_pipeline(StandardScaler(), KNeighborsClassifier(n_neighbors=7))),
        ("bayes", GaussianNB()),
        ("tree", DecisionTreeClassifier(max_depth=8, random_state=0)),
    ]


def _timed(label, make, X, y):
    start = time.perf_counter()
    model = make().fit(X, y)
    return label, model, time.perf_counter() - start


def _fit_fusions(members, X, y):
    """(label, fitted fuser, fit seconds) of each weighting, stacking and averaging."""
    from skfusion import BayesianModelAverager, OOFStacker, WeightedBlender

    blends = [
        ("score", "soft"),
        (None, "soft"),
        ("optimize", "soft"),
        ("caruana", "soft"),
        ("caruana", "rank"),
        ("score", "hard"),
    ]
    with tempfile.TemporaryDirectory() as cache:
        # The member x fold fits are cached, so every fusion after the first
        # reuses them: only the fusion is learnt again.
        common = {"memory": cache, "n_jobs": 2}
        runs = [
            _timed(
                f"{weighting or 'equal'}/{voting}",
                lambda w=weighting, v=voting, i=i: WeightedBlender(
                    members, weighting=w, voting=v, verbose=int(i == 0), **common
                ),
                X,
                y,
            )
            for i, (weighting, voting) in enumerate(blends)
        ]
        # Stacking: a logistic regression on the out-of-fold probabilities.
        runs += [
            _timed(
                f"stack/{t}", lambda t=t: OOFStacker(members, test_predictions=t, **common), X, y
            )
            for t in ["refit", "fold_average"]
        ]
        runs += [
            _timed(
                f"bma/{w}",
                lambda w=w: BayesianModelAverager(members, weighting=w, random_state=0, **common),
                X,
                y,
            )
            for w in ["stacking", "pseudo_bma", "bb_pseudo_bma"]
        ]
    return runs


def _print_members(blender, X_test, y_train, y_test):
    from sklearn.metrics import accuracy_score, log_loss

    oof = blender.oof_predictions_  # (n, members, classes)
    print(f"{'member':<10}{'OOF log-loss':>14}{'OOF acc':>10}{'test acc':>10}")
    for m, (name, fitted) in enumerate(blender.named_estimators_.items()):
        print(
            f"{name:<10}{log_loss(y_train, oof[:, m]):>14.4f}"
            f"{accuracy_score(y_train, oof[:, m].argmax(1)):>10.4f}"
            f"{accuracy_score(y_test, fitted.predict(X_test)):>10.4f}"
        )
    print()


def _print_fusions(runs, X_test, y_train, y_test):
    from sklearn.metrics import log_loss

    from skfusion import blend

    oof = runs[0][1].oof_predictions_
    print(
        f"{'fusion':<20}{'weights':<30}{'OOF log-loss':>13}{'test log-loss':>14}"
        f"{'test acc':>10}{'fit s':>8}"
    )
    for label, model, seconds in runs:
        # Log-loss is defined for probabilities only: rank quantiles are not
        # calibrated and hard votes are labels; a stacker's fused OOF output
        # is in-sample for its meta-learner (an honest one would need a
        # second, nested cross-validation).
        soft = label.endswith("/soft") or label.startswith("bma")
        fused_oof = model.fused_oof_predictions_
        if fused_oof is None:  # equal weights learn nothing: no OOF run of their own
            fused_oof = blend(oof, model.weights_)
        oof_loss = f"{log_loss(y_train, fused_oof):.4f}" if soft else "-"
        test_loss = (
            f"{log_loss(y_test, model.predict_proba(X_test)):.4f}"
            if soft or label.startswith(("stack", "bma"))
            else "-"
        )
        if hasattr(model, "weights_"):
            weights = " ".join(f"{w:.2f}" for w in model.weights_)
        else:
            weights = "logistic regression meta"
        print(
            f"{label:<20}{weights:<30}{oof_loss:>13}{test_loss:>14}"
            f"{model.score(X_test, y_test):>10.4f}{seconds:>8.2f}"
        )


def _print_model_averaging(runs, names):
    print("\nBayesian model averaging, weight +- its Bayesian-bootstrap spread:")
    for label, model, _ in runs:
        if label.startswith("bma"):
            spread = "  ".join(
                f"{name} {w:.2f}+-{s:.2f}"
                for name, w, s in zip(names, model.weights_, model.weights_std_)
            )
            print(f"  {label:<18}{spread}")


def _print_member_report(runs):
    """Which member matters to the optimised soft blend (skfusion.inspection)."""
    import pandas as pd

    from skfusion.inspection import member_report

    blender = next(model for label, model, _ in runs if label == "optimize/soft")
    report = member_report(blender, scoring="neg_log_loss")
    columns = ["weight", "score", "shapley", "loo", "mean_correlation"]
    print("\nMember report of optimize/soft (OOF, negated log-loss; Shapley values add up")
    print("to the fused score minus the prior's):")
    with pd.option_context("display.width", 120, "display.float_format", "{:.4f}".format):
        print(report[columns].to_string())


def _soup_rows(X_train, X_test, y_train, y_test):
    """Weight-space fusion: MLPs fine-tuned from one base, fused into one model."""
    import warnings

    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier
    from sklearn.preprocessing import StandardScaler

    from skfusion import WeightedBlender, WeightSpaceFuser

    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    base = MLPClassifier(hidden_layer_sizes=(64,), max_iter=30, random_state=0)
    members = [
        (f"mlp{i}", MLPClassifier(hidden_layer_sizes=(64,), max_iter=10, random_state=i + 1))
        for i in range(5)
    ]
    with warnings.catch_warnings():
        # A few epochs of fine-tuning each, on purpose.
        warnings.simplefilter("ignore", ConvergenceWarning)
        # The members weigh equally (the uniform soup), or the greedy soup
        # keeps a member only if the fused model's hold-out score holds.
        soups = {
            label: WeightSpaceFuser(
                members, weighting=weighting, base_estimator=base, random_state=0
            ).fit(X_train, y_train)
            for label, weighting in [("uniform", None), ("greedy", "greedy")]
        }
    fine_tuned = list(zip([name for name, _ in members], soups["uniform"].estimators_))
    ensemble = WeightedBlender(fine_tuned, cv="prefit").fit(X_train, y_train)

    def predict_ms(model, repeat=20):
        start = time.perf_counter()
        for _ in range(repeat):
            model.predict(X_test)
        return 1000 * (time.perf_counter() - start) / repeat

    print("\nWeight-space fusion: 5 MLPs fine-tuned from one base, one model out")
    print(f"{'model':<28}{'test acc':>10}{'predict ms':>12}")
    scores = soups["uniform"].member_scores_  # hold-out accuracy by member name
    best = soups["uniform"].named_estimators_[max(scores, key=scores.get)]
    rows = [
        ("best member (by hold-out)", best),
        ("uniform soup", soups["uniform"]),
        ("greedy soup", soups["greedy"]),
        ("soft-vote ensemble (5)", ensemble),
    ]
    for label, model in rows:
        print(f"{label:<28}{model.score(X_test, y_test):>10.4f}{predict_ms(model):>12.2f}")
