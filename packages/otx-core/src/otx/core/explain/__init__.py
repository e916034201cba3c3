"""Saliency maps: which parts of an image a model's prediction of each class rests on."""
