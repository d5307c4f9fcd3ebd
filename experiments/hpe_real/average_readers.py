"""Average landmark readers trained apart: one model folder whose joints are the members' mean.

    python experiments/hpe_real/average_readers.py --out jumps_pl/pretrained/landmark-reader DIR1 DIR2 [...]

Each DIR is a `train_landmark_reader.py` folder of the same shape, window and rate (other seeds or
training windows). The folder written holds them all (``baselines.landmark_reader.members``), their
training in ``trained_on``, and the average scored alone on `hpe-real` ``val`` and ``ood-val``
(``validation``), as each member was.
"""
from __future__ import annotations

import argparse

from corpus import config_and_corpus
from train_landmark_reader import reader_scores, validation_windows

from jumps_pl.methods.fusion.landmark_reader import LandmarkReader, reader_net
from jumps_pl.model_folders import load_state_dict, read_model_config, write_model_folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("members", nargs="+", help="landmark-reader model folders")
    parser.add_argument("--out", required=True, help="the model folder to write")
    args = parser.parse_args()
    if len(args.members) < 2:
        parser.error("give at least two folders to average")
    configs = [read_model_config(folder, "landmark-reader") for folder in args.members]
    for folder, config in zip(args.members[1:], configs[1:], strict=True):
        for key in ("data", "baselines"):
            if config[key] != configs[0][key]:
                raise ValueError(f"{folder}: field {key!r} differs from {args.members[0]}'s; only readers of "
                                 f"one shape, window and rate average")
    shape = dict(configs[0]["baselines"]["landmark_reader"])
    state = {f"members.{i}.{key}": value for i, folder in enumerate(args.members)
             for key, value in load_state_dict(folder).items()}
    net = reader_net(len(args.members), **shape)
    net.load_state_dict(state)
    data = configs[0]["data"]
    _, datamodule = config_and_corpus([])
    scores = reader_scores(LandmarkReader(net, data["window"], data["fps"]), validation_windows(datamodule))
    folder_config = {
        "seed": [config["seed"] for config in configs], "data": data,
        "baselines": {"landmark_reader": {"members": len(args.members), **shape}},
        "trained_on": [config["trained_on"] for config in configs],
        "validation": {f"hpe-real {k} AUC, the reader alone": v for k, v in scores.items()},
    }
    write_model_folder(args.out, folder_config, "landmark-reader", net.state_dict())
    print(", ".join(f"{k} {v:.4f}" for k, v in scores.items()))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
