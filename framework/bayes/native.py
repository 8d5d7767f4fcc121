"""The collapsed model handed to nutpie as compiled C callbacks, so that its chains run in parallel.

A log density given to nutpie as a Python function (``nutpie.compiled_pyfunc.from_pyfunc``)
holds the interpreter lock at every evaluation, so nutpie's chains take turns on one core.
Here the log density and the map to the reported variables are Numba ``cfunc``s with the C
signatures of nutpie's compiled PyMC models (``nutpie.compile_pymc``): nutpie's threads call
them without Python, each chain on its own core. The draws are those of the Python callback
to the last digit (the same functions compute the same numbers; tested).

The callbacks do not depend on the data. Every array reaches them through one ``int64``
header, whose address nutpie passes as ``user_data``:

    [length of the header, K, ar1, address of (noise_sd, slope_sd), address of prior_sd (K),
     each data array as (address, ndim, shape...), then the density's integer arguments]

So each compiles once per machine (Numba's disk cache) and serves every panel, window and
sample, whatever its numbers of rows, units or columns.

nutpie's classes for compiled models (``nutpie._lib``) are not documented as public: the tests
sample through this module, so a nutpie release that changes them fails there first.

Numba's disk cache is checked against the date of the file that defines a function, not of the
files it calls: after editing ``collapsed.py`` or ``collapsed_stats.py`` alone, delete the
``*.nbi``/``*.nbc`` files of ``framework/bayes/__pycache__`` (or of Numba's cache directory),
or the callbacks keep the old code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
from numba import carray, cfunc, njit, types
from numba.core import cgutils
from numba.extending import intrinsic
from nutpie.sample import CompiledModel

from framework.bayes.collapsed import decode, log_density
from framework.bayes.collapsed_stats import log_density_sums

# nutpie's C signatures: logp(n_dim, x, gradient out, logp out, user_data) and
# expand(n_dim, n_expanded, x, expanded out, user_data); 0 = success
LOGP_SIGNATURE = types.int64(types.uint64, types.CPointer(types.double), types.CPointer(types.double),
                             types.CPointer(types.double), types.voidptr)
EXPAND_SIGNATURE = types.int64(types.uint64, types.uint64, types.CPointer(types.double),
                               types.CPointer(types.double), types.voidptr)
VARIABLES = ("theta", "sigma", "tau", "rho")
_FIRST_ARRAY = 5  # header position of the first data array


@intrinsic
def _pointer(typingctx, address):
    """The integer ``address`` as a ``void*``."""
    def codegen(context, builder, signature, args):
        return builder.inttoptr(args[0], cgutils.voidptr_t)
    return types.voidptr(types.int64), codegen


@njit(inline="always")
def _read_header(user_data):
    length = carray(user_data, (1,), np.int64)[0]
    h = carray(user_data, (length,), np.int64)
    k, ar1 = h[1], h[2] != 0
    scalars = carray(_pointer(h[3]), (2,), np.float64)
    prior_sd = carray(_pointer(h[4]), (k,), np.float64)
    return h, k, ar1, scalars[0], scalars[1], prior_sd


@njit(inline="always")
def _vector(h, i, dtype):
    return carray(_pointer(h[i]), (h[i + 2],), dtype), i + 3


@njit(inline="always")
def _matrix(h, i):
    return carray(_pointer(h[i]), (h[i + 2], h[i + 3]), np.float64), i + 4


@njit(inline="always")
def _cube(h, i):
    return carray(_pointer(h[i]), (h[i + 2], h[i + 3], h[i + 4]), np.float64), i + 5


@njit(inline="always")
def _store(n_dim, gradient_out, logp_out, value, gradient):
    out = carray(gradient_out, (n_dim,))
    for j in range(n_dim):
        out[j] = gradient[j]
    carray(logp_out, (1,))[0] = value
    return 0 if np.isfinite(value) else 4  # 4: nutpie's "log density not finite" (a rejected step)


def _logp_from_sums(n_dim, x_in, gradient_out, logp_out, user_data):
    h, k, ar1, noise_sd, slope_sd, prior_sd = _read_header(user_data)
    i = _FIRST_ARRAY
    M, i = _matrix(h, i)
    my, i = _vector(h, i, np.float64)
    G, i = _cube(h, i)
    g, i = _matrix(h, i)
    gg, i = _vector(h, i, np.float64)
    A, i = _matrix(h, i)
    x = carray(x_in, (n_dim,))
    value, gradient = log_density_sums(x, M, my, G, g, gg, A, h[i], h[i + 1], prior_sd, noise_sd, slope_sd, ar1)
    return _store(n_dim, gradient_out, logp_out, value, gradient)


def _logp_from_rows(n_dim, x_in, gradient_out, logp_out, user_data):
    h, k, ar1, noise_sd, slope_sd, prior_sd = _read_header(user_data)
    i = _FIRST_ARRAY
    y, i = _vector(h, i, np.float64)
    W, i = _matrix(h, i)
    d, i = _vector(h, i, np.float64)
    unit, i = _vector(h, i, np.int64)
    prev, i = _vector(h, i, np.int64)
    has_prev, i = _vector(h, i, np.float64)
    gap, i = _vector(h, i, np.float64)
    x = carray(x_in, (n_dim,))
    value, gradient = log_density(x, y, W, d, unit, prev, has_prev, gap, h[i], prior_sd, noise_sd, slope_sd, ar1)
    return _store(n_dim, gradient_out, logp_out, value, gradient)


def _expand(n_dim, n_expanded, x_in, out_, user_data):
    """theta, then sigma (the errors' stationary SD), tau and rho, from the sampler's
    coordinates (:func:`framework.bayes.collapsed.decode`'s)."""
    h, k, ar1, noise_sd, slope_sd, prior_sd = _read_header(user_data)
    theta, nu, z, tau, rho, sigma, ok = decode(carray(x_in, (n_dim,)), k, ar1)
    out = carray(out_, (n_expanded,))
    for j in range(k):
        out[j] = theta[j]
    out[k], out[k + 1], out[k + 2] = sigma, tau, rho
    return 0


@functools.cache
def compiled(name: str):
    """The ``cfunc`` of ``name`` (logp_sums, logp_rows or expand), compiled or loaded from
    Numba's disk cache on first use, so a run compiles only the density it samples."""
    python, signature = {"logp_sums": (_logp_from_sums, LOGP_SIGNATURE), "logp_rows": (_logp_from_rows, LOGP_SIGNATURE),
                         "expand": (_expand, EXPAND_SIGNATURE)}[name]
    return cfunc(signature, cache=True, nogil=True, error_model="numpy")(python)


def _describe(array: np.ndarray) -> list[int]:
    return [array.ctypes.data, array.ndim, *array.shape]


@dataclass(frozen=True, eq=False, kw_only=True)
class NativeModel(CompiledModel):
    """A model for ``nutpie.sample``: the collapsed log density (from per-unit sums or row by
    row, as :func:`framework.bayes.sampling.log_density_of` chose) and the reported variables
    theta (K), sigma, tau and rho. Holds every array its header points to."""

    sums: bool
    k: int
    ar1: bool
    header: np.ndarray
    arrays: tuple
    initial_point: Callable[[int], np.ndarray]
    dims: dict = field(default_factory=lambda: {"theta": ("theta_dim_0",)})

    @classmethod
    def build(cls, density, density_args, prior_sd, noise_sd: float, slope_sd: float, ar1: bool,
              initial_point: Callable[[int], np.ndarray]) -> "NativeModel":
        """``density`` and ``density_args`` as :func:`framework.bayes.sampling.log_density_of`
        returns them; ``initial_point(seed)`` gives a chain's starting coordinates."""
        prior_sd = np.ascontiguousarray(prior_sd, dtype=np.float64)
        scalars = np.array([noise_sd, slope_sd], dtype=np.float64)
        sums = density is log_density_sums
        if sums:
            *arrays, n_rows, n_units = density_args
            arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in arrays]
            integers = [n_rows, n_units]
        else:
            *arrays, n_units = density_args
            dtypes = [np.float64, np.float64, np.float64, np.int64, np.int64, np.float64, np.float64]
            arrays = [np.ascontiguousarray(a, dtype=t) for a, t in zip(arrays, dtypes, strict=True)]
            integers = [n_units]
        body = [len(prior_sd), int(ar1), scalars.ctypes.data, prior_sd.ctypes.data]
        for a in arrays:
            body += _describe(a)
        header = np.array([1 + len(body) + len(integers), *body, *integers], dtype=np.int64)
        return cls(sums=sums, k=len(prior_sd), ar1=bool(ar1), header=header, arrays=(prior_sd, scalars, *arrays),
                   initial_point=initial_point)

    @property
    def n_dim(self) -> int:
        return self.k + 2 + int(self.ar1)

    @property
    def shapes(self) -> dict[str, tuple[int, ...]]:
        return {"theta": (self.k,), "sigma": (), "tau": (), "rho": ()}

    @property
    def coords(self) -> dict:
        return {"theta_dim_0": np.arange(self.k)}

    def _make_model(self, init_mean):
        from nutpie import _lib

        address = self.header.ctypes.data
        logp = _lib.LogpFunc(compiled("logp_sums" if self.sums else "logp_rows").address, address, self)
        expand = _lib.ExpandFunc(self.n_dim, self.k + 3, compiled("expand").address, address, self)
        sizes = {name: len(values) for name, values in self.coords.items()}
        variables = _lib.PyVariable.new_variables(list(VARIABLES), ["float64"] * len(VARIABLES),
                                                  [self.shapes[v] for v in VARIABLES], sizes, self.dims)
        return _lib.PyMcModel(logp, expand, variables, self.n_dim, sizes, self.coords, self.initial_point,
                              _no_transform_adapter)

    def _make_sampler(self, settings, init_mean, cores, progress_type, store):
        from nutpie import _lib

        return _lib.PySampler.from_pymc(settings, cores, self._make_model(init_mean), progress_type, store)


def _no_transform_adapter(*args, **kwargs):
    raise NotImplementedError("the collapsed model is sampled without nutpie's normalizing-flow adaptation")
