"""How many training processes, and when the train stage starts them itself."""

import pytest
import torch

from ssv2.distributed import launch_args, needs_launch, resolve_processes
from ssv2.training import micro_batch


def test_auto_is_one_process_per_visible_gpu_and_one_without():
    assert resolve_processes("auto") == max(1, torch.cuda.device_count())
    assert resolve_processes(3) == 3
    for bad in (0, -1, True, "all", 2.0):
        with pytest.raises(ValueError, match="processes"):
            resolve_processes(bad)


def test_the_stage_launches_unless_single_or_already_a_worker():
    assert not needs_launch(1, {})
    assert needs_launch(2, {})
    assert not needs_launch(2, {"RANK": "0", "WORLD_SIZE": "2"})  # a torchrun worker trains, never relaunches
    # torchrun's own variables spread even one process per node over several nodes.
    assert needs_launch(1, {"PET_NNODES": "2"}) and needs_launch(1, {"PET_NNODES": "1:4"})
    assert not needs_launch(1, {"PET_NNODES": "1"})
    assert launch_args(2, "stages/train.py") == ["--nproc-per-node", "2", "stages/train.py"]


def test_batch_size_is_split_over_processes_and_accumulation():
    assert micro_batch(32, 1, 1) == 32
    assert micro_batch(32, 8, 1) == 4
    assert micro_batch(32, 2, 4) == 4
    for processes, accumulate in ((3, 1), (8, 8)):
        with pytest.raises(ValueError, match="multiple"):
            micro_batch(32, processes, accumulate)
