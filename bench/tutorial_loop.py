"""Variant A of ``bench.engine_speed``: the tutorial's training loop, as d2l writes it.

d2l's ``load_data_fashion_mnist`` + ``train_ch6`` (its plot left out): a torchvision dataset with
``ToTensor``, ``DataLoader(num_workers=4)``, ``.to(device)`` per batch, ``float(...)`` of the loss
and the correct count after every step, on the same files our engine reads and in our engine's
batch order, so that the two loops' accuracies compare the loops, not two lucky seeds.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from lenet_core import data
from lenet_core.model.architectures import build_model
from lenet_core.training.engine import SUBSET_SEED, synchronize

if TYPE_CHECKING:
    from bench.engine_speed import Settings

ARCH = "lenet-classic"  # the tutorial's LeNet (sigmoid, average pooling); B and C train it too
TUTORIAL_WORKERS = 4  # d2l's get_dataloader_workers()


def torchvision_root(name: str, home: Path, folder: Path) -> tuple[type, Path]:
    """torchvision's MNIST-family class and a root holding ``name``'s splits as it wants them:
    uncompressed idx files in ``<root>/<Class>/raw`` (``download=False`` reads them as they are).
    The arrays come from :func:`data.read_split`, so A reads exactly the data B reads."""
    import torchvision

    class_name = data.TORCHVISION_FOLDER.get(name, "MNIST")  # mnist-5k: MNIST's reader, our files
    raw = folder / class_name / "raw"
    raw.mkdir(parents=True, exist_ok=True)
    for split in data.SPLITS:
        images, labels = data.read_split(name, split, home)
        image_stem, label_stem = data.IDX_NAMES[split]
        _write_idx(raw / image_stem, images, data.IDX_IMAGES_MAGIC)
        _write_idx(raw / label_stem, labels, data.IDX_LABELS_MAGIC)
    return getattr(torchvision.datasets, class_name), folder


def _write_idx(path: Path, array, magic: int) -> None:
    header = magic.to_bytes(4, "big") + b"".join(d.to_bytes(4, "big") for d in array.shape)
    path.write_bytes(header + array.astype("uint8", copy=False).tobytes())


def _accuracy(y_hat: torch.Tensor, y: torch.Tensor) -> float:
    """d2l's ``accuracy``: the number of correct predictions, as a Python float."""
    if len(y_hat.shape) > 1 and y_hat.shape[1] > 1:
        y_hat = y_hat.argmax(axis=1)
    cmp = y_hat.type(y.dtype) == y
    return float(cmp.type(y.dtype).sum())


@contextmanager
def quiet_workers() -> Iterator[None]:
    """DataLoader warns that 4 workers are more than 2 cores: the tutorial's choice, kept as is."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="This DataLoader will create")
        yield


class EngineShuffles(torch.utils.data.Sampler):
    """The engine's batch order: a randperm per epoch from a generator seeded with the run's seed.

    It stands in for DataLoader's own ``shuffle=True`` sampler (also one randperm per epoch, the
    same cost) so that A and B see the same batches from the same initial weights, and their test
    accuracies compare the two loops rather than two lucky draws: lenet-classic sits on a loss
    plateau (≈ 2.30) through most of its first epoch, and when it leaves it varies from seed to seed.
    """

    def __init__(self, size: int):
        self.size = size
        self.generator = torch.Generator()

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(seed)

    def __iter__(self):
        return iter(torch.randperm(self.size, generator=self.generator).tolist())

    def __len__(self) -> int:
        return self.size


class TutorialLoop:
    """d2l's ``load_data_fashion_mnist`` + ``train_ch6`` (without the plot), on our data; the
    batches come in the engine's order (:class:`EngineShuffles`)."""

    def __init__(self, name: str, home: Path, folder: Path, settings: Settings,
                 device: torch.device):
        from torch.utils.data import DataLoader, Subset
        from torchvision import transforms

        dataset_class, root = torchvision_root(name, home, folder)
        trans = transforms.Compose([transforms.ToTensor()])
        train_set = dataset_class(root=str(root), train=True, transform=trans, download=False)
        test_set = dataset_class(root=str(root), train=False, transform=trans, download=False)
        if settings.train_subset:  # the engine's subset: first N of the same fixed shuffle
            keep = torch.randperm(len(train_set), generator=torch.Generator().manual_seed(SUBSET_SEED))
            train_set = Subset(train_set, keep[:settings.train_subset].tolist())
        self.shuffles = EngineShuffles(len(train_set))
        with quiet_workers():
            self.train_iter = DataLoader(train_set, settings.batch_size, sampler=self.shuffles,
                                         num_workers=settings.workers)
            self.test_iter = DataLoader(test_set, settings.batch_size, shuffle=False,
                                        num_workers=settings.workers)
        self.examples = len(train_set)
        self.settings, self.device = settings, device

    def run(self, seed: int) -> dict[str, Any]:
        """Train from scratch for ``settings.epochs``; wall time of the epochs, then test accuracy."""
        self.shuffles.reseed(seed)
        torch.manual_seed(seed)
        net = build_model(ARCH, init="default")

        def init_weights(m):
            if type(m) is nn.Linear or type(m) is nn.Conv2d:
                nn.init.xavier_uniform_(m.weight)

        net.apply(init_weights)
        net.to(self.device)
        optimizer = torch.optim.SGD(net.parameters(), lr=self.settings.lr)
        with quiet_workers():
            return self._train(net, optimizer)

    def _train(self, net: nn.Module, optimizer: torch.optim.Optimizer) -> dict[str, Any]:
        loss = nn.CrossEntropyLoss()
        passes = []
        timer = 0.0  # d2l's Timer: only the steps, not the wait for the next batch
        for _ in range(self.settings.epochs):
            metric = [0.0, 0.0, 0.0]  # d2l.Accumulator(3): loss sum, correct, examples
            net.train()
            start = time.perf_counter()
            for X, y in self.train_iter:
                step_start = time.perf_counter()
                optimizer.zero_grad()
                X, y = X.to(self.device), y.to(self.device)
                y_hat = net(X)
                lo = loss(y_hat, y)
                lo.backward()
                optimizer.step()
                with torch.no_grad():
                    metric = [a + float(b) for a, b in
                              zip(metric, (lo * X.shape[0], _accuracy(y_hat, y), X.shape[0]))]
                timer += time.perf_counter() - step_start
            synchronize(self.device)
            passes.append(time.perf_counter() - start)
        start = time.perf_counter()
        test_acc = self.evaluate(net)
        examples = self.examples * len(passes)
        return {"seconds": sum(passes), "examples": examples,
                # what train_ch6 prints: examples over the time inside its Timer
                "reported_examples_per_sec": examples / timer if timer else None,
                "eval_s": time.perf_counter() - start, "test_acc": test_acc,
                "train_loss": metric[0] / metric[2], "train_acc": metric[1] / metric[2]}

    def evaluate(self, net: nn.Module) -> float:
        """d2l's ``evaluate_accuracy_gpu``."""
        net.eval()
        correct, count = 0.0, 0.0
        with torch.no_grad():
            for X, y in self.test_iter:
                X, y = X.to(self.device), y.to(self.device)
                correct, count = correct + _accuracy(net(X), y), count + y.numel()
        return correct / count
