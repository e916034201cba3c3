"""The plots of a run folder (``plots/*.png``): training curves, the task's figures and a mosaic of images.

Everything is drawn with matplotlib's Agg canvas (no display, no global backend); the task-specific
numbers come from each task's :meth:`~otx.core.model.base.OTXModel.figure_data`.
"""
