"""Calibration of the model to observed series: likelihood, posterior, diagnostics, validation.

Modules (import them directly; this package imports nothing at load time so it stays cheap):

* :mod:`~fentsim.calibration.targets` — which observed series calibrate which model output, and how.
* :mod:`~fentsim.calibration.likelihood` — vectorised log-likelihood of all runs from a ``SimResult``.
* :mod:`~fentsim.calibration.bayes` — sequential Monte Carlo with likelihood tempering.
* :mod:`~fentsim.calibration.diagnostics` — ESS, R-hat, parameter summaries, fit per series.
* :mod:`~fentsim.calibration.posterior_io` — weighted posterior draws on disk; ``load_posterior``.
* :mod:`~fentsim.calibration.validate` — calibrate on data up to a year, project the rest.
"""
