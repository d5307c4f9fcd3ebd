"""The JUMPS family: the AE-WGAN prior, the latent fit, the repair of confident failures and the rows.

The prior is ``networks.py`` and ``model.py`` (the LightningModule and its training), the latent fit
``latent_opt.py`` with ``align.py``, the repair ``relabel.py`` and ``flip_detector.py``, the rows ``method.py``.
"""
from jumps_pl.methods.jumps import method  # noqa: F401  (registers the rows)
