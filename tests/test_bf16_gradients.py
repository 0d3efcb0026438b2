"""The bf16 gradient benchmark's ideal bf16 and its error measure (benchmarks/bf16_gradients.py)."""

import sys
from pathlib import Path

import pytest
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from bf16_gradients import _ideal, bf16, relative_errors  # noqa: E402


@pytest.mark.parametrize("module", [nn.Conv3d(3, 4, 3, padding=1), nn.Linear(8, 5)], ids=["conv3d", "linear"])
def test_ideal_bf16_rounds_outputs_and_gradients_and_stays_near_float32(module):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 4, 6, 6) if isinstance(module, nn.Conv3d) else torch.randn(2, 8)
    x.requires_grad_()
    y = _ideal(module)(x)
    y.square().sum().backward()
    for t in (y, x.grad, module.weight.grad, module.bias.grad):
        assert torch.equal(t, bf16(t))  # every value bf16 can hold
    exact = module(x)
    assert not torch.equal(y, exact)
    assert torch.allclose(y, exact, rtol=0.03, atol=0.03)


def test_relative_errors_per_parameter_and_whole_skip_zero_references():
    reference = {"a": torch.tensor([3.0, 4.0]), "b": torch.zeros(2)}
    grads = {"a": torch.tensor([3.0, 4.5]), "b": torch.tensor([0.0, 1.2])}
    errors = relative_errors(grads, reference)
    assert errors.keys() == {"a", "all"}
    assert errors["a"] == pytest.approx(0.1)
    assert errors["all"] == pytest.approx((0.5**2 + 1.2**2) ** 0.5 / 5)
