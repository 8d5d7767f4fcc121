"""Built PyMC models and nutpie's compiled versions, kept for the process by structure, and
the sampling itself (nutpie or PyMC's own NUTS).

Why and how a model is reused: ``docs/estimators/bayes_hier.md`` ("Compiled once per
structure, per process").
"""

from __future__ import annotations

import hashlib
import time

from framework.estimators.bayes_hier.model import build_model, model_coords, model_data

# Built PyMC models and nutpie's compiled versions by structure (``structure``: the model
# options, every data array's shape and dtype, and the coordinates), kept for the process:
# another dataset of the same structure (a Monte Carlo replication, another seed) only swaps
# the data into the model's pm.Data containers. Compiling takes longer than sampling these
# models. The oldest structure is dropped beyond _MODELS_KEEP.
_MODELS: dict[str, "_Compiled"] = {}
_MODELS_KEEP = 8


class _Compiled:
    """One structure's PyMC model and, once nutpie has sampled it, its compiled model."""

    def __init__(self, model):
        self.model = model
        self.nutpie = None


def structure(estimator, design) -> str:
    """Everything the built model depends on besides the values of its data: the model
    options, the coordinates, and each data array's name, shape and dtype."""
    shapes = {name: (value.shape, value.dtype.str) for name, value in model_data(estimator, design).items()}
    key = (estimator.fe, estimator.year_effects, tuple(design.modelled), sorted(estimator.parameterization.items()),
           sorted(estimator.priors.items()), sorted(design.term_columns.items()), sorted(shapes.items()),
           sorted((name, list(value)) for name, value in model_coords(estimator, design).items()))
    return hashlib.sha256(repr(key).encode()).hexdigest()


def sample(estimator, design):
    """Sample the model of ``design``'s structure with ``design``'s data.

    The model is built (and, for nutpie, compiled) the first time its structure is met in
    this process; afterwards only the data are swapped in. Returns the posterior, the
    build-and-compile and sampling times, whether a built model was reused, and the model.
    """
    import pymc as pm

    started = time.perf_counter()
    key = structure(estimator, design)
    values = model_data(estimator, design)
    entry = _MODELS.pop(key, None)
    reused = entry is not None
    if entry is None:
        entry = _Compiled(build_model(estimator, design))
    else:
        # the PyMC model's own containers too: nutpie draws its initial points through it
        with entry.model:
            pm.set_data(values)
    _MODELS[key] = entry  # most recently used last
    while len(_MODELS) > _MODELS_KEEP:
        _MODELS.pop(next(iter(_MODELS)))
    if estimator.sampler == "nutpie":
        import nutpie

        if entry.nutpie is None:
            entry.nutpie = nutpie.compile_pymc_model(entry.model)
            reused = False
        compiled = entry.nutpie.with_data(**values) if reused else entry.nutpie
        compile_s = time.perf_counter() - started
        started = time.perf_counter()
        idata = nutpie.sample(
            compiled, draws=estimator.draws, tune=estimator.tune, chains=estimator.chains, cores=estimator.cores,
            seed=estimator.seed, target_accept=estimator.target_accept, progress_bar=False, save_warmup=False,
        )
        return idata, compile_s, time.perf_counter() - started, reused, entry.model
    compile_s, reused = time.perf_counter() - started, False
    started = time.perf_counter()
    with entry.model:
        idata = pm.sample(
            draws=estimator.draws, tune=estimator.tune, chains=estimator.chains, cores=estimator.cores,
            random_seed=estimator.seed, target_accept=estimator.target_accept, nuts_sampler="pymc",
            progressbar=False, compute_convergence_checks=False,
        )
    # PyMC compiles its sampler inside pm.sample: that time is part of the sampling time.
    return idata, compile_s, time.perf_counter() - started, reused, entry.model
