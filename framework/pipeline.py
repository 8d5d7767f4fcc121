"""One run, end to end: data -> panel -> spec -> estimator -> result record.

This is the library side of ``python -m experiments.run``; it takes a plain config mapping
(the resolved Hydra config) so tests and other entry points can call it without Hydra.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Mapping

from framework.cache import NuisanceCache
from framework.data.load import load_file_panel
from framework.data.panel import Panel
from framework.data.synthetic import WorldKnobs, generate_world
from framework.data.moderator_measures import TRUE_MODERATOR
from framework.data.synthetic.moderators import with_moderator
from framework.errors import UserInputError, first_line
from framework.estimators import build_estimator
from framework.estimators.identification import check_estimates, check_identification
from framework.io import file_sha256
from framework.learners import learner_error_key, learner_name
from framework.settings import integer
from framework.records import failed_record, ok_record, provenance
from framework.sensitivity import SensitivitySettings, Strength
from framework.spec import Spec, apply_spec, true_values
from framework.spec.hypotheses import parse_hypotheses

DATA_KINDS = ("synthetic", "file")


def roles_needed(spec: Spec, columns: Mapping[str, Any] | None = None) -> list[str]:
    """Optional panel roles a run uses (so unused optional columns are not validated): those
    the spec needs, and the weights column whenever ``data.columns.weights`` names one."""
    roles = ["weights"] if (columns or {}).get("weights") else []
    if spec.moderated:
        roles.append("moderator")
    if spec.drop_municipalities:
        roles.append("municipality")
    if spec.resource_control:
        roles.append("resource_city")
    return roles


def load_panel(data: Mapping[str, Any], spec: Spec, seed: int, moderator: Mapping[str, Any] | None = None) -> tuple[Panel, str]:
    """The panel and the fingerprint of the data it came from. ``moderator`` (the ``moderator``
    config group) picks how a synthetic panel measures digitalisation; a file's moderator is
    its ``data.columns.moderator``, ``data.read`` says how to read a CSV and ``data.missing``
    what to do with missing values (``error`` or ``drop``)."""
    kind = data.get("kind")
    if kind == "synthetic":
        knobs = WorldKnobs.from_config(data.get("world"))
        world_seed = int(data.get("seed", seed) if data.get("seed") is not None else seed)
        panel = with_moderator(generate_world(knobs, seed=world_seed), moderator)
        return panel, panel.sha256()
    if spec.moderator != TRUE_MODERATOR:
        raise UserInputError(
            f"moderator={spec.moderator} is built from the synthetic world's digital indicators; with data=file the "
            "moderator is the column in data.columns.moderator (keep moderator=difi)"
        )
    if kind == "file":
        path = data.get("path")
        if not path:
            raise UserInputError("data=file needs data.path: the CSV, Parquet or Stata file to read")
        panel = load_file_panel(
            str(path), data.get("columns"), used_roles=roles_needed(spec, data.get("columns")), read=data.get("read"),
            missing=data.get("missing"),
        )
        return panel, file_sha256(str(path))
    raise UserInputError(f"data.kind = {kind!r}: use data=synthetic or data=file")


@dataclass
class RunResult:
    """A run's record and the objects to save beside it (e.g. ``posterior`` InferenceData)."""

    record: dict
    artifacts: dict[str, Any] = field(default_factory=dict)


def run(
    config: Mapping[str, Any],
    choices: Mapping[str, str] | None = None,
    debug: bool = False,
    panel: tuple[Panel, str] | None = None,
) -> RunResult:
    """Run one configuration; failures become ``status: failed`` records.

    ``panel`` (the panel and its data fingerprint) skips loading ``config.data``: callers that
    run many configurations on one dataset (the Monte Carlo study) draw or read it once.
    """
    started = time.perf_counter()
    seed = config.get("seed", 0)
    estimator_name = (config.get("estimator") or {}).get("name")
    data_sha, source, spec_record, packages = None, None, None, ()
    try:
        seed = integer(seed, "seed", minimum=0)
        parse_hypotheses(config.get("hypotheses"))  # a typo fails the run now, not the report later
        spec = Spec.from_config(config)
        sensitivity = SensitivitySettings.from_config(config.get("sensitivity"))
        panel, data_sha = panel if panel is not None else load_panel(config.get("data") or {}, spec, seed, config.get("moderator"))
        source = panel.source
        data = apply_spec(panel, spec)
        spec_record = {**data.describe(), **panel.missing_record(), "fe": (config.get("estimator") or {}).get("fe")}
        if not panel.is_synthetic:  # the moderator measures are the synthetic world's; a file has its column
            spec_record["moderator"] = panel.names.get("moderator")
        estimator_config = config.get("estimator") or {}
        estimator = build_estimator(estimator_config, config.get("learner"), config.get("split") or {}, seed)
        packages = estimator.packages
        if "weights" in data.frame.columns and not estimator.uses_weights:
            raise UserInputError(
                f"data.columns.weights = {data.label('weights')!r} is set, but {estimator.name} does not use weights; "
                "use estimator=twfe, or leave data.columns.weights unset"
            )
        guarded = check_identification(data, estimator.name, getattr(estimator, "fe", None) or estimator_config.get("fe"), estimator.absorbed_effects(), estimator.cluster_by())
        estimator.use_nuisance_cache(NuisanceCache.from_config(config.get("cache")))
        estimator.fit(data)
        check_estimates(estimator.coefficients_, data, estimator.name)
        sensitivity_record = sensitivity_of(estimator, sensitivity, data, panel)
        truth = true_values(data, panel)
        coefficients = [{**c.to_record(truth.get(c.term)), "column": term_column(c.term, data)} for c in estimator.coefficients_]
        artifacts = dict(estimator.artifacts_)
        record = ok_record(
            estimator=estimator.name,
            spec=spec_record,
            config=dict(config),
            choices=_own(choices),
            learner=learner_name(config["learner"]) if config.get("learner") and estimator.uses_learner else None,
            n_obs=data.n_obs,
            n_units=data.n_units,
            periods=data.periods,
            coefficients=coefficients,
            diagnostics=estimator.diagnostics_,
            warnings=list(dict.fromkeys([*guarded, *(estimator.diagnostics_.get("warnings") or [])])),
            runtime_s=time.perf_counter() - started,
            provenance=provenance(data_sha, seed, source, packages),
            sensitivity=sensitivity_record,
        )
        return RunResult(record, artifacts)
    except Exception as error:
        if debug:
            raise
        message = str(error) if isinstance(error, UserInputError) else _internal(error, config.get("learner"))
        record = failed_record(
            estimator=estimator_name,
            config=dict(config),
            error=message,
            runtime_s=time.perf_counter() - started,
            provenance=provenance(data_sha, seed, source, packages),
            spec=spec_record,
        )
        record["choices"] = _own(choices)
        return RunResult(record)


def sensitivity_of(estimator, settings: SensitivitySettings, data, panel: Panel) -> dict:
    """The run's ``sensitivity`` record: the family's analysis of its treatment coefficient,
    bounded also at the strength of the confounder a synthetic world left out (label ``world``)."""
    if not settings.enabled:
        return {"enabled": False}
    if panel.hidden_confounder is not None:
        settings = settings.with_strength(Strength("world", *panel.hidden_confounder))
    try:
        analysis = estimator.sensitivity(settings, data)
    except UserInputError as error:
        analysis = {"supported": False, "reason": str(error)}
    return {"enabled": True, **analysis}


def term_column(term: str, data) -> str | None:
    """The user's column name for a record's term (``control:exper`` -> ``exper``)."""
    if term.startswith("control:"):
        return term.split(":", 1)[1]
    if term == "treatment_x_moderator":
        return f"{data.label('treatment')}\u00d7{data.label('moderator')}"
    if term in ("treatment", "moderator"):
        return data.label(term)
    return None


def _internal(error: Exception, learner: Mapping[str, Any] | None = None) -> str:
    """One line for an error no check foresaw, led by the learner key it names, if any."""
    line = f"{type(error).__name__}: {first_line(error)}"
    key = learner_error_key(learner, error)
    return f"{key}: {line}" if key else f"{line} (run with debug=true for the traceback)"


def _own(choices: Mapping[str, str] | None) -> dict:
    """The run's own config-group choices (Hydra's internal groups left out)."""
    return {k: v for k, v in (choices or {}).items() if not k.startswith("hydra/")}
