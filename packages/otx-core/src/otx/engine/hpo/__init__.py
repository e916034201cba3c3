"""Hyper-parameter optimization with Optuna: search space, pruning callback, study and report.

The command itself is :func:`otx.engine.commands.hpo.run_hpo`; each trial is an ``otx train`` run.
"""
