"""Quickstart: one line records every scikit-learn fit; then read the runs back.

    python examples/sklearn_quickstart.py

Fits a few classifiers, a pipeline and a grid search on scikit-learn's bundled breast-cancer
data (nothing is downloaded), evaluates one on held-out data, then searches the local store with
a filter string and loads the best model back. Runs are stored in ``AUTOLOG_DIR`` or
``./autolog-runs``. Takes a few seconds.
"""

from __future__ import annotations

import autolog

autolog.autolog()  # <- the one line: local store, every sklearn fit from now on

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import GridSearchCV, train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402
from sklearn.tree import DecisionTreeClassifier  # noqa: E402

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

DecisionTreeClassifier(max_depth=3, random_state=0).fit(X_train, y_train)
forest = RandomForestClassifier(n_estimators=50, random_state=0).fit(X_train, y_train)
print("forest f1 on X_test:", round(f1_score(y_test, forest.predict(X_test)), 4))  # logged to its run

pipeline = make_pipeline(StandardScaler(), LogisticRegression())
pipeline.fit(X_train, y_train)

search = GridSearchCV(
    make_pipeline(StandardScaler(), LogisticRegression()),
    {"logisticregression__C": [0.01, 0.1, 1.0, 10.0]},
    cv=3,
)
search.fit(X_train, y_train)  # one parent run, best candidates as child runs

client = autolog.Client()  # reads AUTOLOG_DIR or ./autolog-runs, after flushing what is queued
runs = client.search_runs(
    "Default",
    "metrics.training_accuracy_score > 0.9 and tags.sklearn_version != ''",
    order_by=["metrics.training_f1_score DESC"],
    max_results=10,
)
print(f"\n{'run':<10}{'estimator':<24}{'training f1':>12}{'f1 X_test':>11}  params")
for run in runs:
    f1_test = run.metrics.get("f1_score_X_test")
    shown = ", ".join(f"{k}={v}" for k, v in sorted(run.params.items()) if k.startswith("best_") or k in ("max_depth", "n_estimators", "logisticregression__C"))
    print(
        f"{run.run_id[:8]:<10}{run.tags.get('estimator_name', ''):<24}"
        f"{run.metrics['training_f1_score']:>12.4f}{'' if f1_test is None else f'{f1_test:.4f}':>11}  {shown}"
    )

best = runs[0]
print("\nartifacts of the best run:", [a.path for a in client.list_artifacts(best.run_id)])
model = autolog.load_model(f"runs:/{best.run_id}/model")
print("reloaded", type(model).__name__, "- test accuracy:", round(model.score(X_test, y_test), 4))
