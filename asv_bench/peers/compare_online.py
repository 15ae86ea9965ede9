"""Online fusion: skfusion's OnlineBlender(Regressor) against river 0.26.1.

Three comparisons, one run:

1. **Same weights, time per row.** river's ``EWARegressor`` and skfusion's
   ``OnlineBlenderRegressor(weighting="hedge", learning_rate=0.5)`` (river's
   defaults: squared loss, rate 0.5) weigh the same three members on the
   same stream. The members are saved predictions (each river member returns
   its column of the row, each skfusion member its column of the matrix), so
   both sides see identical member outputs and the times are those of the
   weighting itself. Reported: the largest difference of the weights over
   the stream, river's time per row (``learn_predict_one``), skfusion's per
   row of one batch ``partial_fit`` of the whole stream, their ratio, and
   skfusion's time per call of a one-row ``partial_fit``.
2. **River's EWA with learning members**: three river linear regressions
   (as in river's EWARegressor example) learning one row at a time, for the
   time per row of the whole thing.
3. **A drifting SEA stream** (river's ``synth.SEA``, the concept switching
   variant 0 -> 1 -> 2 -> 3 every quarter of the stream, over 200 rows, no
   label noise):
   prequential accuracy of river's ``VotingClassifier`` and
   ``StackingClassifier`` over GaussianNB, LogisticRegression and a Hoeffding
   tree, each learning row by row, and of skfusion's ``OnlineBlender`` over
   sklearn members with ``partial_fit`` (GaussianNB, two SGD logistic
   regressions) learning batch by batch (``update_members=True``). Each
   batch is predicted before it is learnt, with the weights of its start
   (the blender's own weights move row by row inside it). The libraries have
   no members in common; the stream is the same. The first batch (which
   trains the unfitted members) is left out of every accuracy. For
   skfusion's rows the blend's prequential log-loss (what its weights
   minimise, each row predicted with the weights of just before it) is
   printed too.

river runs in an environment of its own (the side that needs it is run as a
subprocess of that environment's python)::

    python -m venv /tmp/river
    /tmp/river/bin/pip install "river==0.26.1"
    python asv_bench/peers/compare_online.py --river-python /tmp/river/bin/python

Without ``--river-python`` the skfusion side runs alone.
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

N_MEMBERS = 3
RIVER_RATE = 0.5  # EWARegressor's default learning_rate
# Each side's weights pass is timed this often and keeps its best time: the
# machine is shared, and the skfusion side's few milliseconds drift the most.
N_TIMINGS = 5


def member_stream(n, seed=0):
    """A target and three members' predictions of it, whose errors drift."""
    rng = np.random.default_rng(seed)
    y = rng.normal(size=n)
    phase = np.arange(n) / n
    spread = np.column_stack([0.6 + 0.6 * phase, 0.9 - 0.3 * phase, np.full(n, 0.8)])
    bias = np.column_stack([np.zeros(n), 0.2 * np.sin(6 * phase), 0.1 * np.ones(n)])
    predictions = y[:, None] + bias + spread * rng.normal(size=(n, N_MEMBERS))
    return predictions, y


# -- the river side (run in river's environment) --------------------------------------
def river_side(path):
    from river import base, ensemble, linear_model, naive_bayes, optim, preprocessing, tree
    from river.datasets import synth

    data = np.load(path)
    predictions, y = data["predictions"], data["y"]
    out = {}

    class Saved(base.Regressor):
        """A member whose prediction of a row is its saved column."""

        def __init__(self, column):
            self.column = column

        def learn_one(self, x, y):
            pass

        def predict_one(self, x):
            return x[self.column]

    rows = [dict(enumerate(map(float, p))) for p in predictions]
    targets = y.tolist()
    best = np.inf
    for _ in range(N_TIMINGS):
        model = ensemble.EWARegressor([Saved(m) for m in range(N_MEMBERS)])
        start = time.perf_counter()
        for x, target in zip(rows, targets):
            model.learn_predict_one(x, target)
        best = min(best, time.perf_counter() - start)
    out["ewa_saved_seconds"] = best
    # The weights after every row, in a second (untimed) pass.
    model = ensemble.EWARegressor([Saved(m) for m in range(N_MEMBERS)])
    history = np.empty((len(rows), N_MEMBERS))
    for i, (x, target) in enumerate(zip(rows, targets)):
        model.learn_predict_one(x, target)
        history[i] = model.weights
    np.save(Path(path).with_name("river_weights.npy"), history)
    if "X" not in data:  # the weights part only (run_all)
        Path(path).with_name("river.json").write_text(json.dumps(out))
        return

    # River's example: three linear regressions with different optimisers.
    X = data["X"]
    features = [dict(enumerate(map(float, r))) for r in X]
    members = [
        preprocessing.StandardScaler() | linear_model.LinearRegression(optimizer=optimizer)
        for optimizer in (optim.SGD(0.01), optim.RMSProp(), optim.AdaGrad())
    ]
    model = ensemble.EWARegressor(members)
    start = time.perf_counter()
    for x, target in zip(features, data["y_linear"].tolist()):
        model.learn_predict_one(x, target)
    out["ewa_linear_seconds"] = time.perf_counter() - start
    out["ewa_linear_rows"] = len(features)

    # The drifting SEA stream, saved for the skfusion side.
    n_sea = int(data["n_sea"])
    quarter = n_sea // 4
    sea = synth.SEA(variant=0, seed=1)
    for variant in (1, 2, 3):
        sea = synth.ConceptDriftStream(
            sea,
            synth.SEA(variant=variant, seed=variant + 1),
            position=quarter * variant,
            width=max(200, n_sea // 100),
            seed=variant,
        )
    sea_rows = list(sea.take(n_sea))
    np.savez(
        Path(path).with_name("sea.npz"),
        X=np.array([[x[k] for k in sorted(x)] for x, _ in sea_rows]),
        y=np.array([int(t) for _, t in sea_rows]),
    )
    skip = int(data["skip"])
    for name, make in [
        ("river VotingClassifier", lambda ms: ensemble.VotingClassifier(ms)),
        (
            "river StackingClassifier",
            lambda ms: ensemble.StackingClassifier(
                ms, meta_classifier=linear_model.LogisticRegression()
            ),
        ),
    ]:
        members = [
            naive_bayes.GaussianNB(),
            preprocessing.StandardScaler() | linear_model.LogisticRegression(),
            tree.HoeffdingTreeClassifier(),
        ]
        model = make(members)
        right = []
        start = time.perf_counter()
        for x, target in sea_rows:
            right.append(model.predict_one(x) == target)
            model.learn_one(x, target)
        seconds = time.perf_counter() - start
        out[name] = {"accuracy": float(np.mean(right[skip:])), "seconds": seconds}
    Path(path).with_name("river.json").write_text(json.dumps(out))


def river_ewa(river_python, predictions, y):
    """river's EWARegressor on saved predictions: (seconds, weights after each row)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.npz"
        np.savez(path, predictions=predictions, y=y)
        subprocess.run([river_python, __file__, "--river-side", str(path)], check=True)
        out = json.loads((Path(tmp) / "river.json").read_text())
        return out["ewa_saved_seconds"], np.load(Path(tmp) / "river_weights.npy")


# -- the skfusion side ------------------------------------------------------------------
def skfusion_weights(predictions, y):
    from skfusion import OnlineBlenderRegressor

    blender = OnlineBlenderRegressor.from_predictions(
        list(predictions.T),
        y,
        weighting="hedge",
        learning_rate=RIVER_RATE,
        batch_size=None,
        record_every=1,
        max_history=None,  # every row's weights, for the closed-form check below
    )
    matrix = predictions
    best = np.inf
    for _ in range(N_TIMINGS):
        fresh = OnlineBlenderRegressor.from_predictions(
            list(predictions[:10].T),
            y[:10],
            weighting="hedge",
            learning_rate=RIVER_RATE,
            batch_size=None,
            record_every=len(y),
        )
        fresh.fit(matrix[:10], y[:10])
        start = time.perf_counter()
        fresh.partial_fit(matrix, y)
        best = min(best, time.perf_counter() - start)
    single = OnlineBlenderRegressor.from_predictions(
        list(predictions[:10].T), y[:10], weighting="hedge", learning_rate=RIVER_RATE
    )
    n_single = 2000
    start = time.perf_counter()
    for i in range(n_single):
        single.partial_fit(matrix[i : i + 1], y[i : i + 1])
    per_call = (time.perf_counter() - start) / n_single
    return blender, best, per_call


def sea_accuracy(path, batch, skip):
    from sklearn.linear_model import SGDClassifier
    from sklearn.naive_bayes import GaussianNB

    from skfusion import OnlineBlender

    data = np.load(path)
    X, y = data["X"] / 10.0, data["y"]  # SEA's features are in [0, 10]
    results = {}
    for name, params in [
        ("skfusion OnlineBlender fixed_share", {"weighting": "fixed_share"}),
        ("skfusion OnlineBlender hedge", {"weighting": "hedge"}),
        ("skfusion equal weights (voting)", {"weighting": None}),
    ]:
        members = [
            ("nb", GaussianNB()),
            ("sgd", SGDClassifier(loss="log_loss", alpha=1e-5, random_state=0)),
            ("sgd_slow", SGDClassifier(loss="log_loss", alpha=1e-3, random_state=1)),
        ]
        blender = OnlineBlender(members, update_members=True, batch_size=batch, **params)
        right = np.zeros(len(y), dtype=bool)
        start = time.perf_counter()
        for lo in range(0, len(y), batch):
            rows = slice(lo, lo + batch)
            if lo:
                right[rows] = blender.predict(X[rows]) == y[rows]
            blender.partial_fit(X[rows], y[rows], classes=[0, 1])
        seconds = time.perf_counter() - start
        results[name] = {
            "accuracy": float(right[skip:].mean()),
            "seconds": seconds,
            # What the weights minimise: the blend's log-loss, each row
            # predicted with the weights of just before it.
            "log_loss": blender.fused_cumulative_loss_ / blender._scored_weight,
        }
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--river-python", help="python of an environment with river 0.26.1")
    parser.add_argument("--river-side", help=argparse.SUPPRESS)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--sea-rows", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=100)
    args = parser.parse_args(argv)
    if args.river_side:
        return river_side(args.river_side)

    predictions, y = member_stream(args.rows)
    rng = np.random.default_rng(1)
    X_linear = rng.normal(size=(20_000, 5))
    y_linear = X_linear @ rng.normal(size=5) + 0.3 * rng.normal(size=len(X_linear))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "stream.npz"
        np.savez(
            path,
            predictions=predictions,
            y=y,
            X=X_linear,
            y_linear=y_linear,
            n_sea=args.sea_rows,
            skip=args.batch,
        )
        river = None
        if args.river_python:
            subprocess.run([args.river_python, __file__, "--river-side", str(path)], check=True)
            river = json.loads((Path(tmp) / "river.json").read_text())
            river_weights = np.load(Path(tmp) / "river_weights.npy")

        blender, batch_seconds, per_call = skfusion_weights(predictions, y)
        n = len(y)
        print(
            f"1. Same members (saved predictions), same stream: {n} rows, 3 members, "
            f"squared loss, rate {RIVER_RATE}"
        )
        ours_us = batch_seconds / n * 1e6
        print(f"   skfusion batch partial_fit: {ours_us:.3f} us/row")
        print(f"   skfusion one-row partial_fit: {per_call * 1e6:.1f} us/call")
        # Hedge's closed form: the softmax of minus the rate times the
        # cumulative losses (an independent check of both sides).
        after = np.vstack([blender.weights_history_[1:], blender.weights_])
        cumulative = RIVER_RATE * np.cumsum((predictions - y[:, None]) ** 2, axis=0)
        closed = np.exp(-(cumulative - cumulative.min(axis=1, keepdims=True)))
        closed /= closed.sum(axis=1, keepdims=True)
        print(
            f"   skfusion's largest weight difference from Hedge's closed form: "
            f"{np.abs(after - closed).max():.1e}"
        )
        if river is not None:
            river_us = river["ewa_saved_seconds"] / n * 1e6
            print(f"   river EWARegressor.learn_predict_one: {river_us:.2f} us/row")
            print(f"   ratio river / skfusion batch: {river_us / ours_us:.0f}x (target >= 50x)")
            # river's weights after row t are skfusion's before row t + 1.
            gaps = np.abs(after - river_weights).max(axis=1)
            apart = gaps > 1e-9
            first = int(np.argmax(apart)) if apart.any() else n
            print(
                f"   same weights as river on rows 0..{first - 1}: largest difference "
                f"{gaps[:first].max():.1e}"
            )
            dead = (river_weights == 0).any(axis=1)
            if dead.any():
                row = int(np.argmax(dead))
                member = int(np.argmax(river_weights[row] == 0))
                print(
                    f"   river's weight of member {member} is exactly 0 from row {row} on "
                    "(the product of its factors underflowed) and cannot come back; the "
                    f"closed form gives it {closed[-1, member]:.3f} at the end, skfusion "
                    f"{after[-1, member]:.3f}, river {river_weights[-1, member]:.3f}"
                )
            linear_us = river["ewa_linear_seconds"] / river["ewa_linear_rows"] * 1e6
            print(
                f"2. river EWARegressor with 3 learning linear regressions: {linear_us:.1f} us/row"
            )
            sea = sea_accuracy(Path(tmp) / "sea.npz", args.batch, args.batch)
            print(
                f"3. SEA with drift ({args.sea_rows} rows, variant changes every quarter), "
                f"prequential accuracy after the first {args.batch} rows:"
            )
            for name, result in {
                **{k: river[k] for k in river if k.startswith("river ")},
                **sea,
            }.items():
                log_loss = f"  log-loss {result['log_loss']:.4f}" if "log_loss" in result else ""
                print(
                    f"   {name:38s} {100 * result['accuracy']:.2f} %  ({result['seconds']:.1f} s)"
                    + log_loss
                )
        else:
            print("   (river not given: --river-python PATH runs its side)")
    return blender


if __name__ == "__main__":
    main(sys.argv[1:])
