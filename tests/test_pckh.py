import math

import pytest
import torch

from jumps_pl.metrics import PCKh, PCKhAUC, pckh, pckh_auc


def _case():
    """One window, 2 frames, 2 joints: errors of 0, 5, 20 and 40 px; head sizes 10 and 20 px."""
    target = torch.zeros(1, 2, 2, 2)
    preds = target.clone()
    preds[0, 0, 1, 0] = 5.0   # frame 0 (h = 10): 0.5 head
    preds[0, 1, 0, 1] = 20.0  # frame 1 (h = 20): 1.0 head
    preds[0, 1, 1, 0] = 40.0  # frame 1: 2.0 heads
    head = torch.tensor([[10.0, 20.0]])
    return preds, target, head


def test_pckh_matches_hand_computed_fractions():
    preds, target, head = _case()
    # relative errors 0, 0.5, 1.0, 2.0
    assert pckh(preds, target, head, thresholds=[0.1, 0.5, 1.0, 3.0]).tolist() == [0.25, 0.5, 0.75, 1.0]


def test_mask_leaves_entries_out_of_the_score():
    preds, target, head = _case()
    mask = torch.ones(1, 2, 2, dtype=torch.bool)
    mask[0, 1, 1] = False  # drop the 2-head error
    assert pckh(preds, target, head, mask, thresholds=[0.1, 0.5, 1.0]).tolist() == pytest.approx([1 / 3, 2 / 3, 1.0])


def test_auc_is_the_trapezoidal_area_of_the_curve():
    preds, target, head = _case()
    # PCKh(a) = 0.25 on [0, 0.5), 0.5 on [0.5, 1.0), 0.75 at 1.0; trapezoids on a 0.01 grid add a
    # half step at each jump: 0.25 * 0.5 + 0.5 * 0.5 + 0.005 * (0.25 + 0.25).
    expected = 0.25 * 0.5 + 0.5 * 0.5 + 0.005 * 0.5
    assert pckh_auc(preds, target, head).item() == pytest.approx(expected, abs=1e-9)
    perfect = pckh_auc(target, target, head)
    assert perfect.item() == pytest.approx(1.0)


def test_metric_classes_sum_counts_across_updates_like_one_call():
    torch.manual_seed(0)
    preds, target = torch.randn(6, 8, 21, 2) * 10, torch.zeros(6, 8, 21, 2)
    head = torch.rand(6, 8) * 20 + 5
    mask = torch.rand(6, 8, 21) > 0.3
    metric, auc = PCKh(thresholds=(0.1, 0.5, 1.0)), PCKhAUC()
    for chunk in (slice(0, 1), slice(1, 4), slice(4, 6)):  # uneven batches: means of means would differ
        metric.update(preds[chunk], target[chunk], head[chunk], mask[chunk])
        auc.update(preds[chunk], target[chunk], head[chunk], mask[chunk])
    assert torch.allclose(metric.compute(), pckh(preds, target, head, mask))
    assert math.isclose(auc.compute().item(), pckh_auc(preds, target, head, mask).item(), rel_tol=1e-12)


def test_shape_errors_name_the_argument():
    with pytest.raises(ValueError, match="head_size_px must be"):
        pckh(torch.zeros(1, 2, 3, 2), torch.zeros(1, 2, 3, 2), torch.ones(2))
