"""On-disk caches that let runs differing only downstream skip work already done."""

from framework.cache.nuisance import NuisanceCache, fingerprint

__all__ = ["NuisanceCache", "fingerprint"]
