"""The model registry on the local store: register autologged models, name a version with an
alias, move one to a stage (deprecated, as in MLflow), and load models by ``models:/`` URI.

    python examples/model_registry.py

Fits two classifiers on scikit-learn's bundled breast-cancer data (nothing is downloaded),
registers both as versions of ``breast-cancer``, points the alias ``champion`` at the better one
and loads it back. With ``autolog(registered_model_name=...)`` every autologged model would be
registered as it is stored; here it is done by hand. Runs are stored in ``AUTOLOG_DIR`` or
``./autolog-runs``. Takes a few seconds.
"""

from __future__ import annotations

import warnings

import autolog
from autolog import Client

autolog.autolog()

from sklearn.datasets import load_breast_cancer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

X, y = load_breast_cancer(return_X_y=True, as_frame=True)
X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)

client = Client()
versions = {}
for c in (0.001, 1.0):
    with autolog.run(name=f"logreg C={c}") as run:
        make_pipeline(StandardScaler(), LogisticRegression(C=c)).fit(X_train, y_train)
    version = autolog.register_model(f"runs:/{run.run_id}/model", "breast-cancer", tags={"C": c})
    versions[version.version] = autolog.load_model(f"models:/breast-cancer/{version.version}").score(X_test, y_test)
    print(f"registered version {version.version} from run {run.run_id[:8]}: test accuracy {versions[version.version]:.4f}")

best = max(versions, key=versions.__getitem__)
client.set_registered_model_alias("breast-cancer", "champion", best)
client.update_model_version("breast-cancer", best, description="best test accuracy")

with warnings.catch_warnings(record=True) as caught:  # stages still work, and say they are deprecated
    warnings.simplefilter("always")
    client.transition_model_version_stage("breast-cancer", best, "Production", archive_existing_versions=True)
print(f"{caught[0].category.__name__}: {str(caught[0].message).split('deprecated. ')[1][:72]}...")

champion = autolog.load_model("models:/breast-cancer@champion")
print(f"models:/breast-cancer@champion is version {client.get_model_version_by_alias('breast-cancer', 'champion').version}"
      f": test accuracy {champion.score(X_test, y_test):.4f}")
print("models:/breast-cancer/Production loads:", type(autolog.load_model("models:/breast-cancer/Production")).__name__)

for version in client.search_model_versions("name = 'breast-cancer'", order_by=["version_number ASC"]):
    print(f"version {version.version}: stage {version.current_stage}, aliases {version.aliases}, tags {version.tags}")
print("\nfrom a shell: autolog models list; autolog models show breast-cancer")
