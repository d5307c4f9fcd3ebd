"""Make the sample that ships in ``data/sample/`` (``make sample``; needs the corpus).

Ten seconds of one test-split clip of the Bandai Namco Research Motion Dataset (an elderly walk),
seen through a protocol camera (``data.eval_camera``, seeded), passed through the protocol's simulated
detector with confident failures (the ``hpe-confident`` task: jitter, dropouts, outliers, left/right
flips and another person's pose, each with a detector-like confidence), and written as a detector
writes it: AlphaPose / COCO keypoint results (17 COCO keypoints per entry; the five face keypoints,
which the project does not read, at confidence 0). The ground truth of the 21 joints goes beside it.

The first three seconds also go out as video (``walk.mp4``): the mannequin renderer through the same
camera, cropped onto the figure (``jumps_pl.mannequin``), for `jumps upsample VIDEO` (MediaPipe Pose).
The ground truth in the video's pixels is ``video_px`` of the ground-truth file.

    python data/make_sample.py [--root CORPUS] [--out data/sample]
"""
from __future__ import annotations

import argparse
import zipfile
from pathlib import Path

import numpy as np
import torch

from jumps_pl import skeleton
from jumps_pl.config import load_config, to_container
from jumps_pl.data.cameras import CameraRanges, head_size_px, project, sample_cameras
from jumps_pl.data.corpus import ParseSettings, _high_res_positions, split_of
from jumps_pl.evaluation.tasks import make_task
from jumps_pl.files import write_json, write_npz

CLIP = "dataset-2_walk_elderly_010"  # a test-split clip (12 s): the shipped models never trained on it
FRAMES, FIRST_FRAME, SEED = 300, 0, 7
VIDEO_FRAMES = 90


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    config = to_container(load_config())
    parser.add_argument("--root", default=config["data"]["root"], help="the corpus (default: data.root)")
    parser.add_argument("--out", default=str(Path(__file__).parent / "sample"), help="folder to write")
    args = parser.parse_args()
    assert split_of(CLIP) == "test", CLIP
    archive = Path(args.root) / "dataset-2" / "data.zip"
    with zipfile.ZipFile(archive) as z:
        data = z.read(f"data/{CLIP}.bvh")
    positions = _high_res_positions(data, CLIP, ParseSettings(fps=config["data"]["fps"]))
    positions = positions[FIRST_FRAME:FIRST_FRAME + FRAMES].astype(np.float64)  # (F, 21, 3) m
    ranges = CameraRanges(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in config["data"]["eval_camera"].items()})
    target_m = positions[:, skeleton.ROOT].mean(0, keepdims=True)
    camera = {k: torch.as_tensor(v) for k, v in sample_cameras(np.random.default_rng(SEED), target_m, ranges).items()}
    points = torch.as_tensor(positions, dtype=torch.float32)[None]
    truth = project(points, camera)[0].numpy()  # (F, 21, 2) px
    head_length = 0.5 * np.linalg.norm(positions[0, skeleton.NECK] - positions[0, skeleton.ROOT])
    head = head_size_px(points[:, :, skeleton.NECK], torch.tensor([head_length], dtype=torch.float32), camera)[0]
    given = make_task("hpe-confident", truth[None], head.numpy()[None], SEED)
    keypoints, confidence = given.keypoints_px[0], given.confidence[0]  # (F, 21, 2), (F, 21)
    entries = []
    for frame in range(FRAMES):
        coco = np.zeros((17, 3))
        coco[5:, :2] = keypoints[frame, skeleton.INPUT_INDICES]
        coco[5:, 2] = confidence[frame, skeleton.INPUT_INDICES]
        coco[5:][coco[5:, 2] <= 0] = 0.0  # a detector writes 0, 0, 0 for a joint it did not find
        entries.append({"image_id": f"{frame}.jpg", "category_id": 1,
                        "keypoints": [round(float(v), 2) for v in coco.ravel()],
                        "score": round(float(confidence[frame, skeleton.INPUT_INDICES].mean()), 4), "idx": 0})
    out = Path(args.out)
    video_px = write_video(out / "walk.mp4", positions[:VIDEO_FRAMES], {k: v[0].numpy() for k, v in camera.items()},
                           config["data"]["fps"])
    write_json(out / "walk-detections.json", entries, indent=None)
    write_npz(out / "walk-ground-truth.npz", {
        "keypoints_px": truth.astype(np.float32), "head_size_px": head.numpy().astype(np.float32),
        "flipped": given.flipped[0], "foreign": given.foreign[0], "joint_names": np.asarray(skeleton.HIGH_RES_JOINTS),
        "fps": np.float64(config["data"]["fps"]), "clip": np.asarray(CLIP), "video_px": video_px.astype(np.float32)})
    print(f"wrote {out}: {FRAMES} frames of {CLIP} at {config['data']['fps']:g} fps")


def write_video(path: Path, positions_m: np.ndarray, camera: dict[str, np.ndarray], fps: float) -> np.ndarray:
    """The mannequin seen by ``camera``, cropped onto it, as an MP4; returns the 21 joints in its pixels."""
    from PIL import Image

    from jumps_pl.files import write_atomically
    from jumps_pl.io.video import write_mp4
    from jumps_pl.mannequin import Look, Mannequin, View, floor_height

    view = View.framing(camera, positions_m)
    figure = Mannequin(view, Look.draw(np.random.default_rng(SEED)), floor_height(positions_m))
    frames = [Image.fromarray(figure.render(p)) for p in positions_m]
    write_atomically(path, lambda tmp: write_mp4(tmp, iter(frames), fps))
    return view.project(positions_m)


if __name__ == "__main__":
    main()
