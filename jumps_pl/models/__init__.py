"""What the method families share: pose normalization, simulated detector failures, network blocks."""
