"""The protocol's evaluation: tasks, scoring, reports, uncertainty calibration and local sweeps."""
