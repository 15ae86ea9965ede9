"""
Distil a stack into one fast model
==================================

A stack of gradient boosting, a random forest and an MLP predicts at the
cost of all three and a meta-learner. :class:`~skfusion.Distiller` trains
one small model to imitate it, on the training rows and on rows made near
them (MUNGE), labelled by the stack. The bar it must clear is the same
small model trained directly on the labels; a validation share of the rows
checks that, and with ``fallback=True`` the direct model is kept when
distillation does not help.
"""

# %%
import time
import warnings

import matplotlib.pyplot as plt
from sklearn.datasets import make_classification
from sklearn.ensemble import (
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import log_loss
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skfusion import Distiller, OOFStacker

# The MLPs train for a fixed number of epochs, which they use up.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_classification(3000, 20, n_informative=10, flip_y=0.03, class_sep=0.8, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)

teacher = OOFStacker(
    [
        ("hgb", HistGradientBoostingClassifier(random_state=0)),
        ("forest", RandomForestClassifier(200, min_samples_leaf=2, random_state=0)),
        (
            "mlp",
            make_pipeline(StandardScaler(), MLPClassifier((64,), max_iter=500, random_state=0)),
        ),
    ],
    cv=3,
)
# The student: a small MLP (32 hidden units). As a regressor it learns the
# stack's log-odds; trained directly, the same network is a classifier.
student = make_pipeline(
    StandardScaler(), MLPRegressor(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
)

# %%
# The distiller fits the teacher, makes four augmented rows per training row,
# and trains the student to regress the teacher's log-odds of the positive
# class on all of them (a classifier student would learn the probabilities
# as weighted rows instead). ``validation_scores_`` compares the three models on
# the held-out share.
distiller = Distiller(teacher, student, random_state=0).fit(X_train, y_train)
for model, scores in distiller.validation_scores_.items():
    print(
        f"{model:<15} validation log-loss {scores['log_loss']:.3f}, "
        f"accuracy {scores['accuracy']:.3f}"
    )
print("distilled student kept:", distiller.distilled_)

# %%
# On the test rows: the teacher, the student trained directly on the labels,
# and the distiller (whose predictions come from its student only).
direct = make_pipeline(
    StandardScaler(), MLPClassifier(hidden_layer_sizes=(32,), max_iter=300, random_state=0)
).fit(X_train, y_train)
models = {"stack (teacher)": distiller.teacher_, "direct student": direct, "distiller": distiller}
seconds = {}
for name, model in models.items():
    start = time.perf_counter()
    proba = model.predict_proba(X_test)
    seconds[name] = time.perf_counter() - start
    print(
        f"{name:<16} accuracy {model.score(X_test, y_test):.3f}  "
        f"log-loss {log_loss(y_test, proba):.3f}  predict {1000 * seconds[name]:.1f} ms"
    )

fig, ax = plt.subplots(figsize=(6, 2.5))
ax.barh(list(seconds), [1000 * s for s in seconds.values()])
ax.set_xlabel("predict time on the test rows (ms)")
plt.tight_layout()
plt.show()

# %%
# Regression: :class:`~skfusion.DistillerRegressor`
# ----------------------------------------------------
# The same recipe for a stack of regressors: the student regresses the
# stack's predictions on the real and the augmented rows. Friedman's first
# function, with noise; RMSE on the test rows.
from sklearn.datasets import make_friedman1
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import RidgeCV
from sklearn.metrics import mean_squared_error

from skfusion import DistillerRegressor, OOFStackerRegressor

X, y = make_friedman1(2000, noise=1.0, random_state=0)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.4, random_state=0)
regression_teacher = OOFStackerRegressor(
    [
        ("hgb", HistGradientBoostingRegressor(random_state=0)),
        ("forest", RandomForestRegressor(100, min_samples_leaf=2, random_state=0)),
        ("ridge", RidgeCV()),
    ],
    cv=3,
)
regression_student = HistGradientBoostingRegressor(max_iter=50, random_state=0)
regressor = DistillerRegressor(regression_teacher, regression_student, random_state=0)
regressor.fit(X_train, y_train)
direct_regressor = HistGradientBoostingRegressor(max_iter=50, random_state=0).fit(X_train, y_train)
for name, model in {
    "stack (teacher)": regressor.teacher_,
    "direct student": direct_regressor,
    "distiller": regressor,
}.items():
    rmse = mean_squared_error(y_test, model.predict(X_test)) ** 0.5
    print(f"{name:<16} RMSE {rmse:.3f}")
print("distilled student kept:", regressor.distilled_)
