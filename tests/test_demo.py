"""The README's first command: ``python -m skfusion demo``."""

import subprocess
import sys


def test_demo_runs_and_reports_every_fusion():
    out = subprocess.run(
        [sys.executable, "-m", "skfusion", "demo"],
        capture_output=True,
        text=True,
        check=True,
        timeout=300,
    ).stdout
    for label in ["optimize/soft", "caruana/rank", "stack/fold_average", "bma/bb_pseudo_bma"]:
        assert label in out
    assert "kernel engine: auto" in out
    assert "+-" in out  # weight spreads of model averaging
    report = out.split("Member report of optimize/soft", 1)[1].splitlines()
    assert report[2].split() == ["weight", "score", "shapley", "loo", "mean_correlation"]
    assert [line.split()[0] for line in report[4:10]] == [
        "logreg",
        "forest",
        "knn",
        "bayes",
        "tree",
        "fused",
    ]
    soup_rows = {line.split()[0] + line.split()[1]: line for line in out.splitlines()[-4:]}
    assert set(soup_rows) == {"bestmember", "uniformsoup", "greedysoup", "soft-voteensemble"}
