import math

import torch

from jumps_pl.methods.jumps.align import Similarity, fit_similarity


def test_alignment_recovers_a_known_similarity_exactly():
    torch.manual_seed(0)
    source = torch.randn(4, 30, 2, dtype=torch.float64)
    truth = Similarity(scale=torch.tensor([0.5, 2.0, 3.0, 1.0], dtype=torch.float64),
                       angle=torch.tensor([0.3, -2.0, 3.0, 0.0], dtype=torch.float64),
                       translation=torch.tensor([[1.0, 2.0], [-5.0, 0.0], [100.0, 50.0], [0.0, 0.0]],
                                                dtype=torch.float64))
    target = truth.apply(source)
    fitted = fit_similarity(source, target, torch.ones(4, 30, dtype=torch.float64))
    assert torch.allclose(fitted.scale, truth.scale)
    assert torch.allclose(torch.remainder(fitted.angle - truth.angle + math.pi, 2 * math.pi), torch.tensor(math.pi,
                                                                                                          dtype=torch.float64))
    assert torch.allclose(fitted.translation, truth.translation)
    assert torch.allclose(fitted.apply(source), target)


def test_zero_weight_points_do_not_influence_the_fit():
    torch.manual_seed(1)
    source = torch.randn(1, 20, 2)
    truth = Similarity(torch.tensor([1.5]), torch.tensor([0.7]), torch.tensor([[3.0, -1.0]]))
    target = truth.apply(source)
    weights = torch.ones(1, 20)
    weights[0, :5] = 0
    target[0, :5] += 1000.0  # outliers, weighted out
    fitted = fit_similarity(source, target, weights)
    assert torch.allclose(fitted.apply(source)[0, 5:], target[0, 5:], atol=1e-4)
