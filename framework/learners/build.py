"""Turn a ``learner`` config node into a scikit-learn regressor.

The node is a Hydra instantiation target (``_target_`` plus keyword arguments), so
``learner=gbdt|xgboost|lightgbm|random_forest|lasso`` pick the YAMLs in ``conf/learner/`` and
``learner._target_=pkg.Class`` any other regressor. Whatever the class, a ``random_state``
it accepts (also inside a pipeline) is set from the run's seed unless the config sets it.
"""

from __future__ import annotations

from typing import Any, Mapping

from hydra.errors import InstantiationException
from hydra.utils import instantiate
from omegaconf import DictConfig, OmegaConf
from sklearn.base import is_regressor
from sklearn.utils._param_validation import InvalidParameterError

from framework.errors import UserInputError


def build_learner(config: Mapping[str, Any] | DictConfig, seed: int):
    if config is None or not config.get("_target_"):
        raise UserInputError("learner: no _target_ given; choose learner=gbdt|xgboost|lightgbm|random_forest|lasso or set learner._target_")
    node = OmegaConf.create(OmegaConf.to_container(config, resolve=True) if isinstance(config, DictConfig) else dict(config))
    node.pop("name", None)
    try:
        learner = instantiate(node, _convert_="all")
    except InstantiationException as error:
        reason = str(error.__cause__ or error).strip().splitlines()[-1]
        raise UserInputError(f"learner {node.get('_target_')} could not be built: {reason}") from None
    if not (is_regressor(learner) or hasattr(learner, "predict")):
        raise UserInputError(f"learner {node.get('_target_')} is not a regressor (it has no predict method)")
    _validate(learner)
    _seed(learner, seed)
    return learner


def _validate(learner) -> None:
    """scikit-learn's own parameter checks, run now rather than deep inside a fit, so a bad value
    is reported with its key (``learner.n_estimators = -5: ...``)."""
    parts = [learner, *(step for _, step in getattr(learner, "steps", []))]
    for part in parts:
        if not hasattr(part, "_parameter_constraints") or not hasattr(part, "_validate_params"):
            continue
        try:
            part._validate_params()
        except InvalidParameterError as error:
            message = str(error).strip().splitlines()[0]
            key = message.split("'")[1] if message.count("'") >= 2 else "?"
            value = part.get_params(deep=False).get(key, "?")
            raise UserInputError(f"learner.{key} = {value!r}: {message}") from None


def _seed(learner, seed: int) -> None:
    if not hasattr(learner, "get_params"):
        return
    params = learner.get_params(deep=True)
    updates = {key: seed for key, value in params.items() if key.split("__")[-1] == "random_state" and value is None}
    if updates:
        learner.set_params(**updates)
