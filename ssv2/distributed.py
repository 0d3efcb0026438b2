"""Data-parallel training: how many processes, starting them through torchrun's engine, joining their group.

A stage that wants N processes calls `launch`, which re-runs its script as N workers under
`torch.distributed.run` (torchrun); each worker then calls `init_distributed`. A plain `python`
run with one process stays single-process and never touches torch.distributed.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import torch
import torch.distributed as dist


def resolve_processes(processes: int | str) -> int:
    """train.processes as a count: `auto` is one per visible GPU, 1 without any."""
    if processes == "auto":
        return max(1, torch.cuda.device_count())
    if isinstance(processes, bool) or not isinstance(processes, int) or processes < 1:
        raise ValueError(f"processes must be auto or a positive count, got {processes!r}")
    return processes


def needs_launch(processes: int, env: Mapping[str, str] = os.environ) -> bool:
    """Whether a stage must start its workers: several wanted (or several nodes), and not a worker already.

    Torchrun reads its options from PET_* variables too (PET_NNODES, PET_NODE_RANK,
    PET_MASTER_ADDR, ...), so setting them spreads the same stage over several nodes.
    """
    return "RANK" not in env and (processes > 1 or int(env.get("PET_NNODES", "1").split(":")[-1]) > 1)


def launch_args(processes: int, script: str | Path, args: Sequence[str] = ()) -> list[str]:
    """torchrun's command line for `processes` workers of `script` on this node.

    Without PET_* rendezvous variables torchrun picks a free local port (its single-node
    default), so concurrent runs on one machine do not collide.
    """
    return ["--nproc-per-node", str(processes), str(script), *args]


def launch(processes: int, script: str | Path, args: Sequence[str] = ()) -> None:
    """Run `script` as `processes` DDP workers on this node through torchrun's engine; raises if a worker fails."""
    from torch.distributed import run  # torchrun itself, imported only by the launching process

    # torchrun would give each worker one thread; on a CPU the workers should share the cores instead.
    os.environ.setdefault("OMP_NUM_THREADS", str(max(1, (os.cpu_count() or 1) // processes)))
    run.main(launch_args(processes, script, args))


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
