"""Installing (and reverting) the scikit-learn patches.

Every wrapper is installed through a :class:`autolog.sdk.Patcher` on the class (or
module) whose ``__dict__`` defines the attribute, so reverting restores exactly what was there:

* ``fit``, ``fit_transform``, ``fit_predict``, ``partial_fit`` of every ``BaseEstimator``
  subclass, wherever in its MRO they are defined (mixins included): the fit hooks;
* ``predict``, ``predict_proba``, ``predict_log_proba``, ``decision_function`` and ``score``:
  the post-training hooks (inert unless the instance is a logged model);
* ``__init_subclass__`` of each class in an estimator's MRO that defines one
  (``_MetadataRequester``, ``_SetOutputMixin``, users' own): estimator classes defined later
  (submodules imported later, users' subclasses) are patched when they are created, after the
  whole ``__init_subclass__`` chain ran (``_SetOutputMixin`` rewraps ``transform``/``fit_transform``
  in it, so patching earlier would bury autolog's wrapper where revert cannot see it);
* the model-selection helpers, the ``sklearn.metrics`` scoring functions, and
  ``joblib.Parallel.__call__``, when (or as soon as) their modules are imported.

Walking the estimators defined so far costs well under a millisecond per hundred classes; at
``import sklearn`` (the usual case: ``autolog.autolog()`` first) there are none yet, and each
estimator class is patched as it is created.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable
from typing import Any

from autolog.integrations.sklearn import _instrument, _parallel
from autolog.integrations.sklearn._util import called_by_sklearn, quiet

from autolog.sdk import Patcher, is_active, is_autolog_wrapper, safe_wrapper

FIT_METHODS = ("fit", "fit_transform", "fit_predict", "partial_fit")
PREDICT_METHODS = ("predict", "predict_proba", "predict_log_proba", "decision_function")
SCORE_METHOD = "score"


class _Installation:
    """Which patcher currently holds the patches, and whether ``instrument`` installed it."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.patcher: Patcher | None = None
        self.private = False
        #: Seconds the last installation took (it runs inside the user's ``import sklearn``).
        self.seconds = 0.0
        self.hooked: set[str] = set()


installation = _Installation()
_local = threading.local()
_wrappers: dict[str, Callable[..., Any]] = {}


# -- entry points -------------------------------------------------------------------------------
def patch(patcher: Patcher, config: Any = None) -> None:
    """The integration's patch function: called once ``sklearn`` is imported and autolog enabled."""
    with installation.lock:
        if installation.patcher is not None and installation.private:
            installation.patcher.revert()
        installation.patcher, installation.private = patcher, False
        _install(patcher)


def unpatch() -> None:
    """After ``autolog(disable=True)`` reverted the patches: forget the state that went with them."""
    from autolog.integrations.sklearn import _post_training

    with installation.lock:
        if installation.patcher is not None and not installation.private:
            installation.patcher = None
            _sweep_module_references()
        _parallel.clear()
        _post_training.clear()


def ensure_installed() -> None:
    """Install the patches for ``instrument`` when ``autolog.autolog()`` has not."""
    with installation.lock:
        if installation.patcher is not None:
            return
        import sklearn  # noqa: F401 - instrument() was asked for: scikit-learn is wanted

        if installation.patcher is not None:  # importing it let autolog.autolog() patch it
            return
        patcher = Patcher("sklearn")
        installation.patcher, installation.private = patcher, True
        _install(patcher)


def remove_private() -> None:
    """Revert the patches ``instrument`` installed (not those of ``autolog.autolog()``)."""
    with installation.lock:
        if installation.patcher is not None and installation.private:
            installation.patcher.revert()
            installation.patcher, installation.private = None, False
            _sweep_module_references()


def is_installed() -> bool:
    return installation.patcher is not None


def _sweep_module_references() -> None:
    """Put back the originals that modules imported while patched copied by name.

    ``from sklearn.metrics import accuracy_score`` in a scikit-learn module imported while the
    patches were on binds autolog's wrapper; the patcher reverts only the attributes it wrapped,
    so the scikit-learn and joblib modules are swept for such copies (the users' modules are
    left alone: their copies stay, inert).
    """
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("sklearn", "joblib")):
            continue
        try:
            namespace = vars(module)
        except TypeError:
            continue
        for attr, value in list(namespace.items()):
            if is_autolog_wrapper(value):
                namespace[attr] = value.__wrapped__


# -- should_log ---------------------------------------------------------------------------------
def should_log_call(instance: Any) -> bool:
    """Log this outermost call? Not from autolog's own background work, nor on the joblib
    worker threads of a call that is logging already."""
    if quiet.get() or _parallel.on_worker_of_logging_call():
        return False
    return is_active("sklearn") or _instrument.wants(instance)


def should_log_fit(instance: Any) -> bool:
    """As :func:`should_log_call`, and not a helper fit that scikit-learn's own code makes
    outside any logged call (``LabelBinarizer`` inside ``log_loss``, ``LabelEncoder`` inside
    ``compute_class_weight``, the candidates ``_fit_and_score`` fits on a worker thread)."""
    return should_log_call(instance) and not called_by_sklearn()


# -- installation -------------------------------------------------------------------------------
def _install(patcher: Patcher) -> None:
    from sklearn.base import BaseEstimator

    started = time.perf_counter()
    for cls in _estimator_classes(BaseEstimator):
        patch_class(patcher, cls)
    from autolog.integrations.sklearn import _model_selection

    _when_imported("joblib.parallel", _parallel.patch)
    _when_imported("sklearn.metrics", _patch_metrics)
    _when_imported(
        "sklearn.model_selection",
        lambda p, module: _model_selection.patch_functions(p, _function_wrappers()),
    )
    installation.seconds = time.perf_counter() - started


def _estimator_classes(root: type) -> list[type]:
    found, stack, seen = [], [root], {root}
    while stack:
        cls = stack.pop()
        found.append(cls)
        try:
            subclasses: list[type] = type.__subclasses__(cls)
        except TypeError:
            continue
        for sub in subclasses:
            if sub not in seen:
                seen.add(sub)
                stack.append(sub)
    return found


def patch_class(patcher: Patcher, cls: type) -> None:
    """Wrap the methods ``cls`` uses, on the classes of its MRO that define them."""
    wrappers = _method_wrappers()
    mro = cls.__mro__
    for name, wrapper in wrappers.items():
        for klass in mro:
            value = klass.__dict__.get(name)
            if value is not None:
                if klass is not object and _wrappable(value):
                    patcher.wrap(klass, name, wrapper)
                break
    for klass in mro:
        if klass is not object and "__init_subclass__" in klass.__dict__:
            patcher.wrap(klass, "__init_subclass__", _init_subclass)


def _wrappable(value: Any) -> bool:
    return not isinstance(value, property) and (callable(value) or hasattr(value, "__get__"))


def _init_subclass(wrapped: Any, cls: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
    """Wrapper of ``__init_subclass__``: patch a new estimator class once its chain has run."""
    depth = getattr(_local, "depth", 0)
    _local.depth = depth + 1
    try:
        result = wrapped(*args, **kwargs)
    finally:
        _local.depth = depth
    if depth == 0 and isinstance(cls, type):
        try:
            _on_new_class(cls)
        except Exception as exc:  # noqa: BLE001 - never break the user's class statement
            from autolog.sdk import report_internal_error

            report_internal_error("sklearn patching a new estimator class", exc)
    return result


def _on_new_class(cls: type) -> None:
    patcher = installation.patcher
    if patcher is None:
        return
    base = sys.modules.get("sklearn.base")
    if base is not None and issubclass(cls, base.BaseEstimator):
        patch_class(patcher, cls)


def _when_imported(module_name: str, apply: Callable[[Patcher, Any], None]) -> None:
    """``apply(patcher, module)`` now if imported, else when it is (hooks stay; they check state)."""
    import wrapt

    module = sys.modules.get(module_name)
    if module is not None:
        apply(installation.patcher, module)  # type: ignore[arg-type]
        return
    if module_name in installation.hooked:
        return
    installation.hooked.add(module_name)

    def hook(module: Any) -> None:
        try:
            with installation.lock:
                if installation.patcher is not None:
                    apply(installation.patcher, module)
        except Exception as exc:  # noqa: BLE001 - never break the user's import
            try:
                from autolog.sdk import report_internal_error

                report_internal_error(f"sklearn patching {module_name}", exc)
            except Exception:  # noqa: BLE001 - not even under AUTOLOG_TESTING
                pass

    wrapt.register_post_import_hook(hook, module_name)


def _patch_metrics(patcher: Patcher, metrics: Any) -> None:
    from autolog.integrations.sklearn import _post_training

    cluster = sys.modules.get("sklearn.metrics.cluster")
    for name in list(getattr(metrics, "__all__", ())):
        value = metrics.__dict__.get(name)
        if not _post_training.is_metric_function(name, value):
            continue
        wrapper = _metric_wrapper(name)
        patcher.wrap(metrics, name, wrapper)
        if cluster is not None and cluster.__dict__.get(name) is value:
            patcher.wrap(cluster, name, wrapper)  # type: ignore[arg-type]


# -- the wrappers (built once; each Patcher.wrap pairs one with an original) --------------------
class _LazyFitHooks:
    """``_fit.FitHooks(method)``, imported at the first logged fit rather than in ``import sklearn``."""

    def __init__(self, method: str) -> None:
        self.method = method
        self._hooks: Any = None

    def _target(self) -> Any:
        if self._hooks is None:
            from autolog.integrations.sklearn import _fit

            self._hooks = _fit.FitHooks(self.method)
        return self._hooks

    def before(self, instance: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return self._target().before(instance, args, kwargs)

    def after(self, state: Any, result: Any) -> None:
        self._target().after(state, result)

    def error(self, state: Any, exc: BaseException) -> None:
        self._target().error(state, exc)


def _method_wrappers() -> dict[str, Callable[..., Any]]:
    if not _wrappers:
        from autolog.integrations.sklearn import _post_training

        built: dict[str, Callable[..., Any]] = {}
        for name in FIT_METHODS:
            built[name] = safe_wrapper("sklearn", _LazyFitHooks(name), should_log_fit)
        predict = safe_wrapper("sklearn", _post_training.PredictHooks(), _post_training.is_logged_model)
        for name in PREDICT_METHODS:
            built[name] = predict
        built[SCORE_METHOD] = safe_wrapper("sklearn", _post_training.ScoreHooks(), _post_training.is_logged_model)
        _wrappers.update(built)
    return _wrappers


_function_wrapper_cache: dict[str, Callable[..., Any]] = {}


def _function_wrappers() -> dict[str, Callable[..., Any]]:
    if not _function_wrapper_cache:
        from autolog.integrations.sklearn import _model_selection

        for name in _model_selection.FUNCTIONS:
            _function_wrapper_cache[name] = safe_wrapper(
                "sklearn", _model_selection.FunctionHooks(name), should_log_call
            )
    return _function_wrapper_cache


_metric_wrapper_cache: dict[str, Callable[..., Any]] = {}


def _metric_wrapper(name: str) -> Callable[..., Any]:
    wrapper = _metric_wrapper_cache.get(name)
    if wrapper is None:
        from autolog.integrations.sklearn import _post_training

        wrapper = _metric_wrapper_cache[name] = safe_wrapper(
            "sklearn", _post_training.MetricHooks(name), _post_training.guards_metric
        )
    return wrapper
