"""Baselines evaluated beside JUMPS: per-frame ridge regression (+ Savitzky-Golay smoothing) and a
supervised masked temporal convolutional network."""
