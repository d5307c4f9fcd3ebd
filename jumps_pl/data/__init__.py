"""Mocap data: BVH parsing, the clip corpus and its cache, the protocol's cameras, the Lightning datamodule."""
