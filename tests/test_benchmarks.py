"""The benchmark scripts run (at small sizes) and agree with their peers."""

import importlib
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
from _helpers import CountingClassifier, count_fits
from sklearn.datasets import make_classification

ROOT = Path(__file__).resolve().parents[1]


def _load(relative):
    path = Path(relative)
    if path.parent == Path("asv_bench/benchmarks"):
        # Imported as asv does, as modules of the package ``benchmarks``.
        sys.path.insert(0, str(ROOT / "asv_bench"))
        try:
            return importlib.import_module(f"benchmarks.{path.stem}")
        finally:
            sys.path.remove(str(ROOT / "asv_bench"))
    spec = importlib.util.spec_from_file_location(path.stem, ROOT / relative)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compare_voting_quick_run(capsys):
    # Also asserts internally that skfusion's hard and soft votes equal sklearn's
    # and numpy's results.
    _load("asv_bench/peers/compare_voting.py").main(["--quick"])
    out = capsys.readouterr().out
    assert "identical picks: True" in out
    assert "hard vote: skfusion hard_vote kernel" in out


def test_asv_benchmarks_run_at_small_sizes():
    kernels = _load("asv_bench/benchmarks/bench_kernels.py")
    for cls, args in [
        (kernels.SoftVote, ("numba", 1000)),
        (kernels.HardVote, ("numpy", 1000)),
        (kernels.RankMap, ("numba", 1000)),
        (kernels.CaruanaSelect, ("numba", 1000)),
        (kernels.LogMixture, ("numba", 1000)),
        (kernels.LogMixture, ("numpy", 1000)),
        (kernels.BayesianBootstrap, ("numba", 100)),
        (kernels.LocalCompetence, ("numba", 1000, "run")),
        (kernels.LocalCompetence, ("numpy", 1000, "mean")),
        (kernels.OnlineWeights, ("numba", 1000, 0.01)),
        (kernels.OnlineWeights, ("numpy", 1000, 0.0)),
    ]:
        bench = cls()
        bench.setup(*args)
        for name in dir(bench):
            if name.startswith(("time_", "peakmem_")):
                getattr(bench, name)(*args)


def test_gpu_benchmarks_are_skipped_without_a_gpu():
    from skfusion._kernels import _load as load_backend

    engines = _load("asv_bench/benchmarks/_engines.py")
    if not isinstance(load_backend("cupy"), str):
        pytest.skip("a GPU engine is available here")
    with pytest.raises(NotImplementedError, match="no GPU engine here"):
        engines.Engine("cupy")  # asv reports a setup raising this as skipped


def test_bma_weight_benchmarks_run():
    bma = _load("asv_bench/benchmarks/bench_bma.py")
    bench = bma.WeightsFromPointwise()
    bench.setup(1000)
    bench.time_bb_pseudo_bma_1000_draws(1000)
    bench.time_stacking(1000)


def test_merge_benchmarks_run_at_small_sizes():
    merge = _load("asv_bench/benchmarks/bench_merge.py")
    for engine in ("numpy", "numba"):
        bench = merge.MergeKernels()
        bench.setup(engine, 1000)
        for name in dir(bench):
            if name.startswith(("time_", "peakmem_")):
                getattr(bench, name)(engine, 1000)
    for merge_name in ("average", "ties"):
        bench = merge.MergeParams()
        bench.setup(merge_name)


def test_compare_merge_agrees_with_the_argsort_ties(capsys):
    # Small tensors: the argsort TIES and skfusion's must agree on all but ties
    # at the threshold, and the merge must not stack the models.
    _load("asv_bench/peers/compare_merge.py").main(n=200_000)
    out = capsys.readouterr().out
    differ = float(out.split("entries that differ: ")[1].split(",")[0])
    assert differ < 0.01
    assert "argsort (mergekit way)" in out


def test_weight_space_regressor_benchmark_runs():
    merge = _load("asv_bench/benchmarks/bench_merge.py")
    bench = merge.FuserRegressorFitPredict()
    bench.setup("greedy")
    bench.time_predict("greedy")
    # With one hold-out split, the greedy soup's R2 (scoring) is never below its
    # best member's, as its squared error (objective) never is above.
    assert bench.fitted.fused_score_ >= max(bench.fitted.member_scores_.values())
    assert bench.fitted.picks_[0] in bench.fitted.member_scores_


def test_blender_regressor_benchmark_tracks_the_fused_score():
    blender = _load("asv_bench/benchmarks/bench_blender.py")
    bench = blender.RegressorFit()
    bench.setup(None)  # equal weights: no OOF predictions, nothing to track
    assert np.isnan(bench.track_fused_r2(None))
    bench.setup("caruana")
    assert 0 < bench.track_fused_r2("caruana") <= 1
    bench.time_predict("caruana")


@pytest.mark.parametrize("final_refit", [True, False])
def test_grid_search_comparison_fits_members_as_its_bound_says(tmp_path, final_refit):
    # grid_search names the search it builds members for (sklearn, OOFStacker
    # refit, OOFStacker fold_average); each search logs its own fits.
    stacking = _load("asv_bench/peers/compare_stacking.py")
    logs = [tmp_path / f"{variant}.log" for variant in ("sklearn", "refit", "fold_average")]

    def counting_members(search):
        return [("c", CountingClassifier(log_path=str(tmp_path / f"{search}.log")))]

    X, y = make_classification(n_samples=150, n_informative=4, n_classes=3, random_state=0)
    # Also asserts internally that both searches score every candidate alike.
    stacking.grid_search(X, y, final_refit, member_list=counting_members)
    sklearn_fits, refit_fits, average_fits = (count_fits(log) for log in logs)
    assert sklearn_fits / refit_fits == stacking.member_fit_bound(False, final_refit)
    assert sklearn_fits / average_fits == stacking.member_fit_bound(True, final_refit)


def test_saved_predictions_benchmarks_run_at_small_sizes(tmp_path, monkeypatch, capsys):
    saved = _load("asv_bench/benchmarks/bench_saved.py")
    monkeypatch.setattr(saved, "N_ROWS", 400)
    monkeypatch.setattr(saved, "N_MODELS", 5)
    folder = saved.write_files(tmp_path, n_rows=400, n_models=5)
    saved.CommandLine().time_blend(folder, "caruana")
    assert "model_00" in capsys.readouterr().out
    written = np.loadtxt(f"{folder}/submission.csv", delimiter=",", skiprows=1)
    assert written.shape == (100, 2) and np.all((written[:, 1] >= 0) & (written[:, 1] <= 1))
    bench = saved.FromPredictions()
    bench.setup("optimize")
    bench.time_predict_proba("optimize")
    # The cross-validated log-loss is the higher (worse) of the two.
    assert bench.track_cv_minus_in_sample_log_loss("optimize") > 0


def test_compare_diversity_agrees_with_the_per_pair_loop(capsys):
    # Asserts internally that both give the same Q-statistics.
    _load("asv_bench/peers/compare_diversity.py").main([], n=5_000)
    assert "values equal: True" in capsys.readouterr().out


def test_compare_shapley_agrees_with_the_naive_subset_loop(capsys):
    # Asserts internally that both give the same Shapley values.
    _load("asv_bench/peers/compare_shapley.py").main([], n=2_000)
    assert "values equal: True" in capsys.readouterr().out


def test_inspection_benchmarks_run_at_small_sizes(monkeypatch):
    bench = _load("asv_bench/benchmarks/bench_inspection.py")
    monkeypatch.setattr(bench, "SHAPLEY_ROWS", 500)
    monkeypatch.setattr(bench, "REPORT_ROWS", 500)
    monkeypatch.setattr(bench, "DIVERSITY_ROWS", 2_000)
    shapley = bench.ExactShapley()
    shapley.setup(4)
    shapley.time_member_contributions(4)
    report = bench.Report()
    report.setup()
    report.time_member_report()
    diversity = bench.Diversity()
    diversity.setup()
    diversity.time_pairwise_diversity()


def test_compare_conformal_runs_its_skfusion_side(capsys):
    rows = _load("asv_bench/peers/compare_conformal.py").main(n=400)
    name, covered, width, cost, seconds = rows[0]
    assert name.startswith("skfusion") and 0.7 < covered <= 1.0 and width > 0 and cost > 0
    assert seconds > 0


def test_calibration_benchmarks_run_at_small_sizes(monkeypatch):
    bench = _load("asv_bench/benchmarks/bench_calibration.py")
    monkeypatch.setattr(bench, "ROWS", 500)
    for method in bench.Calibrator.params[0]:
        calibrator = bench.Calibrator()
        calibrator.setup(method)
        calibrator.time_fit(method)
        calibrator.time_transform(method)
    blend = bench.CalibratedBlend()
    blend.setup("temperature")
    blend.time_fit("temperature")


def test_compare_calibration_matches_sklearn_on_the_fold_average(capsys):
    # Both sides are the same kind of model: fold copies calibrated, then averaged.
    rows = _load("asv_bench/peers/compare_calibration.py").main(quick=True)
    losses = {label: loss for _, label, loss, _, _ in rows}
    assert losses["skfusion temperature fold_average"] < losses["uncalibrated soft vote"]
    if "sklearn temperature" in losses:
        ratio = losses["skfusion temperature fold_average"] / losses["sklearn temperature"]
        assert 0.9 < ratio < 1.1


def test_dynamic_benchmarks_run_at_small_sizes(monkeypatch):
    bench = _load("asv_bench/benchmarks/bench_dynamic.py")
    monkeypatch.setattr(bench, "SELECTION_ROWS", 200)
    monkeypatch.setattr(bench, "TEST_ROWS", 100)
    dynamic = bench.DynamicPredict()
    dynamic.setup("knora_e", 10)
    dynamic.time_predict("knora_e", 10)
    for task in bench.GatedPredict.params[0]:
        gated = bench.GatedPredict()
        gated.setup(task)
        gated.time_fit(task)
        gated.time_predict(task)
    regressor = bench.DynamicRegressorPredict()
    regressor.setup("weighted")
    regressor.time_predict("weighted")


def test_distillation_benchmarks_run_at_small_sizes(monkeypatch):
    bench = _load("asv_bench/benchmarks/bench_distill.py")
    monkeypatch.setattr(bench, "N_ROWS", 300)
    for task in ("classifier", "regressor"):
        timing = bench.DistilledPredict()
        timing.setup(task)
        timing.time_teacher_predict(task)
        timing.time_student_predict(task)


def test_online_benchmarks_run_at_small_sizes(monkeypatch):
    bench = _load("asv_bench/benchmarks/bench_online.py")
    monkeypatch.setattr(bench, "N_ROWS", 500)
    monkeypatch.setattr(bench, "LEARNING_ROWS", 500)
    for weighting in bench.SavedPredictionsStream.params[0]:
        saved = bench.SavedPredictionsStream()
        saved.setup(weighting)
        saved.time_batch_partial_fit(weighting)
        saved.time_one_row_partial_fit_x100(weighting)
    for cls in (bench.LearningMembers, bench.FrozenMembersStream):
        timing = cls()
        timing.setup()
        timing.time_fit()


def test_compare_online_follows_hedges_closed_form(capsys):
    # Without river's environment only the skfusion side runs.
    blender = _load("asv_bench/peers/compare_online.py").main(["--rows", "3000"])
    out = capsys.readouterr().out
    gap = float(out.split("closed form: ")[1].split()[0])
    assert gap < 1e-9
    assert blender.n_samples_seen_ == 3000


def test_compare_dynamic_agrees_with_deslib_where_it_is_installed(capsys):
    rows = _load("asv_bench/peers/compare_dynamic.py").main(["--quick"])
    assert {row["method"] for row in rows} == {
        "knora_e",
        "knora_u",
        "ola",
        "lca",
        "des_knn",
        "meta",
    }
    for row in rows:
        assert 0.5 < row["ours_accuracy"] <= 1.0
        if "same" in row and row["method"] in ("knora_e", "ola", "lca"):
            assert row["same"] == 1.0  # the same pool, rows and neighbours: the same labels
