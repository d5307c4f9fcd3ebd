import csv

from conftest import tiny_config
from jumps_pl.training import run_training


def test_latent_optimization_callback_logs_upsampling_pckh_and_auc_on_the_added_joints(clip_archive, tmp_path):
    config = tiny_config(clip_archive, tmp_path, "trainer.max_epochs=2", "trainer.limit_train_batches=2",
                         "train.latent_eval.every_n_epochs=2", "train.latent_eval.windows=4",
                         "train.latent_eval.iterations=3", "train.latent_eval.starts=2")
    run = run_training(config, wandb_online=False)
    rows = list(csv.DictReader((run / "metrics.csv").open()))
    logged = [r for r in rows if r.get("val/auc_added")]
    assert len(logged) == 1 and logged[0]["epoch"] == "1"  # every 2nd epoch: only the second
    for key in ("val/pckh@0.1_added", "val/pckh@0.5_added", "val/pckh@1.0_added", "val/auc_added"):
        assert 0.0 <= float(logged[0][key]) <= 1.0
    assert float(logged[0]["val/pckh@0.1_added"]) <= float(logged[0]["val/pckh@1.0_added"])
