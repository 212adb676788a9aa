"""scikit-learn autologging: every fit recorded, one run per outermost call.

    import autolog
    autolog.autolog()                       # or autolog.autolog(sklearn={"max_tuning_runs": 3})

    from sklearn.linear_model import LogisticRegression
    LogisticRegression().fit(X, y)          # one run: params, tags, metrics, model, plots

What is recorded
----------------
* Calls: ``fit``, ``fit_transform``, ``fit_predict`` and ``partial_fit`` of every estimator
  (everything in ``sklearn.utils.all_estimators()``, ``Pipeline``, ``ColumnTransformer``, the
  searches including the Halving ones, and users' own ``BaseEstimator`` subclasses, inherited
  ``fit`` or not); ``cross_validate``, ``cross_val_score``, ``cross_val_predict``,
  ``learning_curve``, ``validation_curve`` and ``permutation_test_score`` as one run each. Only
  the outermost call logs: a Pipeline logs once, a search's candidates never on their own (also
  on joblib worker threads); two threads of the user's fitting at once log a run each. Inside
  ``with autolog.run():`` fits log into that run.
* Params: ``get_params(deep=True)``, nested estimators shown as ``LogisticRegression(C=0.5)``,
  values cut at 250 characters with ``...(truncated, N chars)``; a plugin's
  ``autolog_extract_params`` answer replaces them.
* Tags: ``estimator_name``, ``estimator_class``, ``sklearn_version``, plus plugins'
  ``autolog_collect_tags``.
* Training metrics (with ``sample_weight`` when the fit got one), MLflow's names:
  classifiers ``training_accuracy_score``, ``training_precision_score``,
  ``training_recall_score``, ``training_f1_score`` (weighted; ``average="binary"`` with the
  ``pos_label`` option on binary problems), ``training_log_loss`` and ``training_roc_auc`` (with
  ``predict_proba``); regressors ``training_mean_squared_error``,
  ``training_root_mean_squared_error``, ``training_mean_absolute_error``, ``training_r2_score``;
  clusterers ``training_silhouette_score`` (on at most 1,000 rows, seeded) and
  ``training_inertia``; every kind ``training_score`` (``estimator.score``). A metric that
  cannot be computed is skipped with one warning.
* Searches: ``best_<param>`` params, ``best_cv_score``, ``cv_results.csv``, the best estimator
  as the model ``best_estimator``, and child runs for the ``max_tuning_runs`` best candidates.
* The model: pickled once right after the fit, saved as ``model`` (``autolog.load_model(
  "runs:/<run_id>/model")``) with a signature and an input example of the first 5 rows.
* Plots (classifiers), as their data: ``plots/training_confusion_matrix``; binary also
  ``plots/training_roc_curve`` and ``plots/training_precision_recall_curve`` (rendered to
  ``.png`` when first viewed; see ``_plots``).
* Post-training metrics: ``accuracy_score(y_test, model.predict(X_test))`` after a logged fit
  logs ``accuracy_score_X_test`` to the model's run (see ``_post_training``).

The caller's thread does what needs the live estimator or the user's data (predictions, pickling,
the first rows) and, when it is cheap (the numpy fast path of ``_fast``, a small model), finishes
the metrics, model record and plot data too; otherwise those go to autolog's background thread.

Limits: a function bound by name before ``autolog.autolog()`` (``from sklearn.metrics import
f1_score`` first) keeps the original, as with MLflow: its calls log no post-training metric
(``cross_val_score`` still logs, through the patched ``cross_validate``). Fits that scikit-learn's
own code makes outside a logged call (``LabelEncoder`` inside ``compute_class_weight``,
``check_estimator``) are not logged. ``partial_fit`` logs a run per call, or steps 0, 1, 2...
of one run inside ``with autolog.run():``.

Options (``autolog.autolog(sklearn={...})``, read at each call)
----------------------------------------------------------------
``log_models`` (True), ``log_signatures`` (True), ``log_input_examples`` (True): default to the
top-level settings of the same name. ``log_training_metrics`` (True),
``log_post_training_metrics`` (True), ``log_plots`` (True), ``max_tuning_runs`` (5; None for
all), ``pos_label`` (None), ``exclude`` (estimator classes or class names whose fits are not
logged, nor anything inside them), ``disable`` (False).

Without global autologging
--------------------------
``instrument(estimator)`` records the fits of that instance only; ``with instrument():`` every
fit inside the block. ``uninstrument()`` undoes both. ``autolog.autolog(disable=True)`` reverts
every patch, those ``instrument`` relies on included.
"""

from __future__ import annotations

from autolog.integrations.sklearn import _patch
from autolog.integrations.sklearn._instrument import instrument, uninstrument

from autolog.sdk import Integration, hookimpl

__all__ = ["autolog_register_integrations", "instrument", "uninstrument"]


@hookimpl
def autolog_register_integrations() -> list[Integration]:
    """The scikit-learn integration: patches ``sklearn`` once it is imported."""
    return [
        Integration(
            name="sklearn",
            module="sklearn",
            patch=_patch.patch,
            distribution="scikit-learn",
            min_version="1.3",
            max_version="1.10",
            unpatch=_patch.unpatch,
        )
    ]
