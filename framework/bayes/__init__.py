"""Bayesian panel machinery shared by the Bayesian families: the collapsed likelihood (unit
intercepts and slopes integrated out, AR(1) errors), its sampling with nutpie, the
conditional draws of the unit effects and the checks of a posterior."""
