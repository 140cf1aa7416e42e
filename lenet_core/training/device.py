"""The compute device: one place that picks it and one place that describes it."""

from __future__ import annotations

from dataclasses import dataclass

import torch

from lenet_core.errors import LabError


@dataclass(frozen=True)
class DeviceInfo:
    kind: str  # "cuda", "mps" or "cpu"
    name: str  # "NVIDIA H200", "Apple MPS" or "CPU"
    detail: str  # memory for a GPU, thread count for the CPU

    @property
    def summary(self) -> str:
        return f"{self.name} ({self.detail})"


def describe_device(device: str | torch.device | None = None) -> DeviceInfo:
    """What ``device`` (default: the best available one) is, in words a person reads."""
    device = torch.device(device) if device is not None else resolve_device("auto")
    if device.type == "cuda":
        index = device.index if device.index is not None else torch.cuda.current_device()
        props = torch.cuda.get_device_properties(index)
        return DeviceInfo("cuda", props.name, f"cuda:{index}, {props.total_memory / 2**30:.0f} GiB")
    if device.type == "mps":
        return DeviceInfo("mps", "Apple MPS", "Metal GPU")
    threads = torch.get_num_threads()
    return DeviceInfo("cpu", "CPU", f"{threads} thread{'s' * (threads != 1)}")


def device_choices() -> list[str]:
    """Devices a person may pick here: auto, cpu, and each GPU that is present."""
    choices = ["auto", "cpu"]
    if torch.cuda.is_available():
        choices += ["cuda"] + [f"cuda:{i}" for i in range(torch.cuda.device_count())]
    if torch.backends.mps.is_available():
        choices.append("mps")
    return choices


def resolve_device(choice: str) -> torch.device:
    """``auto`` -> CUDA, else MPS, else CPU; an explicit choice that is absent is an error."""
    if choice == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if choice == "cpu":
        return torch.device("cpu")
    if choice == "mps":
        if not torch.backends.mps.is_available():
            raise LabError("device 'mps' was asked for but no Apple GPU is available: use cpu or auto")
        return torch.device("mps")
    if choice == "cuda" or choice.startswith("cuda:"):
        if not torch.cuda.is_available():
            raise LabError(f"device {choice!r} was asked for but no CUDA GPU is available: "
                           "use cpu or auto")
        if choice != "cuda":
            index = choice.split(":", 1)[1]
            if not index.isdigit() or int(index) >= torch.cuda.device_count():
                raise LabError(f"device {choice!r}: there are {torch.cuda.device_count()} "
                               f"GPUs (cuda:0 .. cuda:{torch.cuda.device_count() - 1})")
        return torch.device(choice)
    raise LabError(f"unknown device {choice!r}: choose auto, cpu, cuda, cuda:N or mps")
