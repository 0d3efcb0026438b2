"""Data-parallel set-up for runs launched with torchrun; a plain `python` run stays single-process."""

from __future__ import annotations

import os

import torch
import torch.distributed as dist


def init_distributed() -> tuple[int, int, int]:
    """(rank, world_size, local_rank); joins the process group when torchrun set RANK and WORLD_SIZE."""
    if "RANK" not in os.environ or "WORLD_SIZE" not in os.environ:
        return 0, 1, 0
    rank, world_size = int(os.environ["RANK"]), int(os.environ["WORLD_SIZE"])
    local_rank = int(os.environ.get("LOCAL_RANK", 0))
    if not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(local_rank)
            device_id = torch.device("cuda", local_rank)
            dist.init_process_group("nccl", rank=rank, world_size=world_size, device_id=device_id)
        else:
            dist.init_process_group("gloo", rank=rank, world_size=world_size)
    return rank, world_size, local_rank


def is_distributed() -> bool:
    return dist.is_available() and dist.is_initialized()


def is_main_process() -> bool:
    """True on rank 0, and in a single-process run."""
    return not is_distributed() or dist.get_rank() == 0


def cleanup() -> None:
    if is_distributed():
        dist.destroy_process_group()
