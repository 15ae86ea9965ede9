"""asv benchmarks of fusing saved predictions: ``from_predictions`` and the
``skfusion`` command on files.

The size of the command line's target (doc/benchmarks.rst): 50 models x
200 000 rows x 1 column (a binary target's P(class 1)), one CSV per model
with an id column, test files a quarter as long. Target: the command under 30 s on 2 cores.
"""

import tempfile
from pathlib import Path

import numpy as np

N_ROWS, N_MODELS = 200_000, 50


def saved_predictions(n_rows, n_models, seed=0):
    """(y, OOF, test): models of varied skill, their P(class 1) as columns."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_rows)
    n_test = max(n_rows // 4, 1)
    skill = rng.uniform(0.2, 2.0, n_models)

    def predictions(labels, n):
        signal = (2 * labels - 1)[:, None] * skill + rng.normal(0.0, 2.0, (n, n_models))
        return 1.0 / (1.0 + np.exp(-signal))

    test_labels = rng.integers(0, 2, n_test)
    return y, predictions(y, n_rows), predictions(test_labels, n_test)


def write_files(folder, n_rows=N_ROWS, n_models=N_MODELS):
    """train.csv (id, target), oof/ and test/ with one CSV per model (id, pred)."""
    import pandas as pd

    folder = Path(folder)
    y, oof, test = saved_predictions(n_rows, n_models)
    (folder / "oof").mkdir(parents=True, exist_ok=True)
    (folder / "test").mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"id": np.arange(n_rows), "target": y}).to_csv(folder / "train.csv", index=False)
    test_ids = np.arange(len(test)) + n_rows
    for m in range(n_models):
        name = f"model_{m:02d}.csv"
        pd.DataFrame({"id": np.arange(n_rows), "pred": oof[:, m]}).to_csv(
            folder / "oof" / name, index=False, float_format="%.6f"
        )
        pd.DataFrame({"id": test_ids, "pred": test[:, m]}).to_csv(
            folder / "test" / name, index=False, float_format="%.6f"
        )
    return str(folder)


def command(folder, weighting, out="submission.csv"):
    """The ``skfusion blend`` arguments on the files of ``write_files``."""
    return [
        "blend",
        "--oof", f"{folder}/oof/*.csv",
        "--test", f"{folder}/test/*.csv",
        "--target", f"{folder}/train.csv:target",
        "--id", "id",
        "--weighting", weighting,
        "--out", f"{folder}/{out}",
    ]  # fmt: skip


class CommandLine:
    params = (["caruana", "optimize"],)
    param_names = ["weighting"]
    timeout = 600

    def setup_cache(self):
        return write_files(tempfile.mkdtemp())

    def time_blend(self, folder, weighting):
        from skfusion._cli import main

        main(command(folder, weighting))


class FromPredictions:
    params = (["caruana", "optimize"],)
    param_names = ["weighting"]
    timeout = 600

    def setup(self, weighting):
        from skfusion import WeightedBlender

        self.y, self.oof, self.test = saved_predictions(N_ROWS, N_MODELS)
        self.fitted = WeightedBlender.from_predictions(self.oof, self.y, weighting=weighting)

    def time_from_predictions(self, weighting):
        from skfusion import WeightedBlender

        WeightedBlender.from_predictions(self.oof, self.y, weighting=weighting)

    def time_predict_proba(self, weighting):
        self.fitted.predict_proba(self.test)

    def track_cv_minus_in_sample_log_loss(self, weighting):
        from skfusion import WeightedBlender

        fuser = WeightedBlender.from_predictions(
            self.oof, self.y, weighting=weighting, scoring="neg_log_loss"
        )
        return fuser.fused_score_ - fuser.fused_cv_score_
