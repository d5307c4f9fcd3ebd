"""Reading pose-estimator output and writing upsampled sequences (``jumps upsample``)."""
from jumps_pl.io.formats import FORMATS, PoseFile, PoseFormatError, Track, read_poses

__all__ = ["FORMATS", "PoseFile", "PoseFormatError", "Track", "read_poses"]
