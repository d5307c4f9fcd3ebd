"""Many files over several devices or nodes: `jumps upsample ... --out-dir DIR --devices N` through Lightning.

The files to do are a dataset and ``Trainer.predict`` with DDP gives each process its share (Lightning's
unrepeated sampler for prediction: no file twice, none left out). Each process loads the method once on its
own device and upsamples its files one by one, as ``--workers`` does on one machine; the outcomes are
gathered so that every process holds the one summary and global rank 0 reports it. Lightning is imported
here only: a plain `jumps upsample` never loads it.
"""
from __future__ import annotations

import os
from pathlib import Path

import pytorch_lightning as pl
import torch

from jumps_pl.upsampler import FileOutcome, Upsampler, upsample_one


class _Indices(torch.utils.data.Dataset):
    """The positions 0..count-1 of the files to do: each process gets its share of them."""

    def __init__(self, count: int):
        self.count = count

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> int:
        return index


class UpsampleFiles(pl.LightningModule):
    """``predict_step`` upsamples the files at a batch's positions; outcomes kept as ``(position, outcome)``."""

    def __init__(self, given: dict, config: dict, todo: list[tuple[Path, Path]], format: str | None,
                 save_detections: bool, threads: int):
        super().__init__()
        self.given, self.config, self.todo = given, config, [(str(s), str(o)) for s, o in todo]
        self.format, self.save_detections, self.threads = format, save_detections, threads
        self.upsampler: Upsampler | None = None
        self.outcomes: list[tuple[int, FileOutcome]] = []

    def setup(self, stage: str) -> None:
        """The method on this process's device, once; the list of files as global rank 0 made it."""
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            shared = [self.todo]
            torch.distributed.broadcast_object_list(shared, src=0)
            self.todo = shared[0]
        device = self.trainer.strategy.root_device
        if device.type == "cpu":
            torch.set_num_threads(self.threads)
        config = {**self.config, "infer": {**self.config["infer"], "device": str(device)}}
        self.upsampler = Upsampler(self.given["method"], fps=self.given["fps"], model=self.given["model"],
                                   config=config, latency=self.given["latency"])

    def predict_step(self, batch: torch.Tensor, batch_idx: int) -> list[tuple[int, FileOutcome]]:
        """Upsample the files at the batch's positions (a failed file is an outcome too)."""
        done = []
        for position in batch.tolist():
            source, out = self.todo[position]
            done.append((position, upsample_one(self.upsampler, Path(source), Path(out), self.format,
                                                self.save_detections)))
        self.outcomes += done
        return done

    def on_predict_epoch_end(self) -> None:
        """Every process's outcomes, gathered in every process, by position."""
        if torch.distributed.is_available() and torch.distributed.is_initialized():
            parts: list = [None] * torch.distributed.get_world_size()
            torch.distributed.all_gather_object(parts, self.outcomes)
            self.outcomes = sorted(item for part in parts for item in part)


def upsample_on_devices(upsampler: Upsampler, todo: list[tuple[Path, Path]], format: str | None,
                        save_detections: bool, devices: int, accelerator: str, num_nodes: int
                        ) -> tuple[list[tuple[int, FileOutcome]], int]:
    """Every (source, output) of ``todo`` upsampled over ``devices`` x ``num_nodes`` processes (DDP).

    Returns the outcomes by position in ``todo``, gathered from every process, and this process's global
    rank (rank 0 reports).
    """
    processes = devices * num_nodes
    threads = max(1, (os.cpu_count() or 1) // devices) if accelerator == "cpu" else torch.get_num_threads()
    module = UpsampleFiles(upsampler._given, upsampler.config, todo, format, save_detections, threads)
    trainer = pl.Trainer(accelerator=accelerator, devices=devices, num_nodes=num_nodes,
                         strategy="ddp" if processes > 1 else "auto", logger=False, enable_checkpointing=False,
                         enable_progress_bar=False, enable_model_summary=False)
    loader = torch.utils.data.DataLoader(_Indices(len(todo)), batch_size=1)
    trainer.predict(module, loader, return_predictions=False)
    return module.outcomes, trainer.global_rank

