"""
=====================================================
Model soups: one model from many
=====================================================

:class:`~skfusion.WeightSpaceFuser` averages the *parameters* of models of
one architecture instead of their predictions. Members fine-tuned from one
shared start stay in one basin of the loss, so their mean is a good model
too (a "model soup", Wortsman et al., 2022), and it predicts at the cost of
one model, where an ensemble pays for every member.

Here six MLPs are fine-tuned from one base model, each on a bootstrap
sample of the training rows, and fused as given (``cv="prefit"``, scored on
validation rows). ``merge`` says how the parameters are combined (here
``"average"``, the default) and ``weighting`` how much each member counts:
equal weights (the uniform soup) or the greedy soup, which adds members in
order of validation score and keeps each only if the soup does not get
worse.
"""

# %%
import copy
import time
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from skfusion import WeightedBlender, WeightSpaceFuser
from skfusion.merge import align_mlp, merge_params

# Short trainings on purpose (fine-tuning a few epochs): no convergence warnings.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = load_digits(return_X_y=True)
X = StandardScaler().fit_transform(X)
X_rest, X_test, y_rest, y_test = train_test_split(X, y, test_size=0.3, random_state=0)
X_train, X_val, y_train, y_val = train_test_split(X_rest, y_rest, test_size=0.25, random_state=0)

base = MLPClassifier(hidden_layer_sizes=(128,), max_iter=40, random_state=0)
base.fit(X_train, y_train)
rng = np.random.default_rng(0)
members = []
for i in range(6):
    rows = rng.integers(0, len(y_train), len(y_train))  # a bootstrap sample
    member = copy.deepcopy(base).set_params(warm_start=True, max_iter=20, random_state=i + 1)
    members.append((f"boot{i}", member.fit(X_train[rows], y_train[rows])))

# %%
# Soups, and the ensemble of the same members
# -------------------------------------------
models = {
    "uniform soup": WeightSpaceFuser(members, cv="prefit").fit(X_val, y_val),
    "greedy soup": WeightSpaceFuser(members, weighting="greedy", cv="prefit").fit(X_val, y_val),
    "soft-vote ensemble": WeightedBlender(members, cv="prefit").fit(X_val, y_val),
}
# The best member by validation accuracy (``member_scores_``, by name).
val_scores = models["uniform soup"].member_scores_
models["best single"] = dict(members)[max(val_scores, key=val_scores.get)]


def predict_seconds(model, repeat=30):
    start = time.perf_counter()
    for _ in range(repeat):
        model.predict(X_test)
    return (time.perf_counter() - start) / repeat


print(f"{'model':<20}{'test accuracy':>14}{'predict ms':>12}")
for name, model in models.items():
    accuracy = model.score(X_test, y_test)
    print(f"{name:<20}{accuracy:>14.4f}{1000 * predict_seconds(model):>12.2f}")

# %%
# The greedy soup ranks and keeps members by its ``objective`` (the
# validation log-loss, for members with ``predict_proba``); ``scoring``
# (accuracy by default) is only what ``member_scores_`` and ``fused_score_``
# report.
greedy = models["greedy soup"]
print("greedy soup picks, in the order kept:", greedy.picks_)
print("validation accuracy:", {k: round(v, 4) for k, v in greedy.member_scores_.items()})
print(f"validation accuracy of the greedy soup: {greedy.fused_score_:.4f}")

# %%
# Why a shared start matters: the line between two models
# --------------------------------------------------------
# Two MLPs trained from different random starts hold the same features in
# different hidden units: averaging them unaligned mixes unrelated units and
# the score collapses in the middle. Weight matching (``align_mlp``) permutes
# one model's units to match the other first. Two members fine-tuned from one
# base need no alignment.
a = MLPClassifier(hidden_layer_sizes=(24,), max_iter=200, random_state=1).fit(X_train, y_train)
b = MLPClassifier(hidden_layer_sizes=(24,), max_iter=200, random_state=2).fit(X_train, y_train)


def params_of(model):
    return {
        **{f"coefs_{i}": c for i, c in enumerate(model.coefs_)},
        **{f"intercepts_{i}": v for i, v in enumerate(model.intercepts_)},
    }


def score_along_line(first, second):
    scores = []
    for alpha in np.linspace(0, 1, 11):
        merged = merge_params(
            [params_of(first), params_of(second)], merge="average", weights=[1 - alpha, alpha]
        )
        model = copy.deepcopy(first)
        model.coefs_ = [merged[f"coefs_{i}"] for i in range(len(first.coefs_))]
        model.intercepts_ = [merged[f"intercepts_{i}"] for i in range(len(first.coefs_))]
        scores.append(model.score(X_val, y_val))
    return scores


alphas = np.linspace(0, 1, 11)
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.plot(alphas, score_along_line(a, b), "o-", label="different starts, unaligned")
ax.plot(alphas, score_along_line(a, align_mlp(a, b)), "o-", label="different starts, aligned")
ax.plot(alphas, score_along_line(members[0][1], members[1][1]), "o-", label="one shared base")
ax.set_xlabel("interpolation weight of the second model")
ax.set_ylabel("validation accuracy")
ax.set_title("Validation accuracy along the line between two MLPs")
ax.legend()
fig.tight_layout()
plt.show()

# %%
# Regression: averaging models trained on separate shards
# --------------------------------------------------------
# :class:`~skfusion.WeightSpaceFuserRegressor` fuses regressors the same way.
# Here three sites each fit a ridge regression on their own shard of the
# diabetes data; the fitted models are fused as given (``cv="prefit"``),
# with the shard sizes as fixed ``weights``: federated averaging. The fused model is scored on
# held-out rows next to each site's model and a model fitted on all shards.
from sklearn.datasets import load_diabetes  # noqa: E402
from sklearn.linear_model import Ridge  # noqa: E402

from skfusion import WeightSpaceFuserRegressor  # noqa: E402

X, y = load_diabetes(return_X_y=True)
X_shards, X_held, y_shards, y_held = train_test_split(X, y, test_size=0.3, random_state=0)
shards = np.array_split(np.random.default_rng(0).permutation(len(y_shards)), 3)
sites = [
    (f"site{i}", Ridge(alpha=0.1).fit(X_shards[rows], y_shards[rows]))
    for i, rows in enumerate(shards)
]
federated = WeightSpaceFuserRegressor(
    sites, weights=[len(rows) for rows in shards], cv="prefit"
).fit(X_shards, y_shards)
pooled = Ridge(alpha=0.1).fit(X_shards, y_shards)
for name, site in sites:
    print(f"{name:<22} held-out R2 {site.score(X_held, y_held):.4f}")
print(f"{'federated average':<22} held-out R2 {federated.score(X_held, y_held):.4f}")
print(f"{'ridge on all shards':<22} held-out R2 {pooled.score(X_held, y_held):.4f}")
