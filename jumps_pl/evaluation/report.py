"""Reporting results: Markdown tables, flat ``task/row/set/metric`` dicts for loggers, and plots."""
from __future__ import annotations


def markdown_table(results: dict) -> str:
    """One table per task: rows are methods, columns PCKh@0.1/0.5/1.0 and AUC per joint set."""
    lines: list[str] = []
    for task, rows in results.items():
        sets = [s for s in ("added", "input", "all", "missing") if any(s in r for r in rows.values())]
        header = [f"{s} {m}" for s in sets for m in ("@0.1", "@0.5", "@1.0", "AUC")]
        lines += [f"### {task}", "", "| method | " + " | ".join(header) + " |",
                  "|---|" + "---:|" * len(header)]
        for method, scores in rows.items():
            cells = [f"{scores[s][k]:.4f}" if s in scores else "" for s in sets
                     for k in ("pckh@0.1", "pckh@0.5", "pckh@1.0", "auc")]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
        if any("repair" in r for r in rows.values()):
            lines += [f"{task}: flipped (frame, limb pair) entries that come out with the correct sides: "
                      + ", ".join(f"{m} {_flips(r['repair'])}" for m, r in rows.items() if "repair" in r), ""]
    lines += per_joint_table(results)
    lines += style_table(results)
    return "\n".join(lines)


def _flips(repair: dict) -> str:
    """Flips right, and where the run scored it, flips right among pairs whose sides are apart."""
    apart = repair.get("flips_correct_apart")
    return f"{repair['flips_correct']:.3f}" + ("" if apart is None else f" ({apart:.3f} where the sides are apart)")


def style_table(results: dict) -> list[str]:
    """Per motion style (dataset/style), each row's flips repaired and AUC, for the tasks scored by style.

    With the mean over styles with at least ``STYLE_MIN_FLIPS`` flipped entries and the worst of them.
    """
    lines: list[str] = []
    for task, rows in results.items():
        rows = {method: scores["by_style"] for method, scores in rows.items() if "by_style" in scores}
        if not rows:
            continue
        styles = sorted(set().union(*rows.values()))
        flips = any("flips_correct" in v for by in rows.values() for v in by.values())
        sets = [s for s in ("added", "input", "missing") if any(s in v for by in rows.values() for v in by.values())]
        apart = any("flips_correct_apart" in v for by in rows.values() for v in by.values())
        columns = (["flips right (where the sides are apart)" if apart else "flips right"] if flips else []) \
            + [f"{s} AUC" for s in sets]
        lines += [f"### {task}: per motion style", "", "| method | style | windows | "
                  + ("flipped entries | " if flips else "") + " | ".join(columns) + " |",
                  "|---|---|---:|" + ("---:|" if flips else "") + "---:|" * len(columns)]
        for method, by in rows.items():
            for style in styles:
                v = by.get(style)
                if v is None:
                    continue
                cells = [str(v["windows"])] + ([str(v.get("flipped_entries", 0))] if flips else [])
                cells += ([(f"{v['flips_correct']:.3f}" + (f" ({v['flips_correct_apart']:.3f})"
                                                           if "flips_correct_apart" in v else ""))
                           if "flips_correct" in v else ""] if flips else [])
                cells += [f"{v[s]:.4f}" if s in v else "" for s in sets]
                lines.append(f"| {method} | {style} | " + " | ".join(cells) + " |")
        lines.append("")
        if flips:
            for method, by in rows.items():
                mean, worst, name = style_flips(by)
                if mean is not None:
                    lines.append(f"{task}, {method}: flips right {mean:.3f} on average over the styles with >= "
                                 f"{STYLE_MIN_FLIPS} flipped entries, {worst:.3f} on the worst ({name})")
                mean, worst, name = style_flips(by, apart=True)
                if mean is not None:
                    lines.append(f"{task}, {method}, where the sides are apart: {mean:.3f} on average over the "
                                 f"styles with >= {STYLE_MIN_FLIPS} such entries, {worst:.3f} on the worst ({name})")
            lines.append("")
    return lines


STYLE_MIN_FLIPS = 20  # a style's flips-right share is reported among the worst only from this many flipped entries


def style_flips(by_style: dict[str, dict], apart: bool = False) -> tuple[float | None, float | None, str | None]:
    """The mean over styles of the flips repaired, and the worst style's, among styles with enough flips.

    ``apart``: of the flipped entries whose pair's true sides are apart (``scoring.sides_apart``) alone.
    """
    share, count = ("flips_correct_apart", "flipped_apart") if apart else ("flips_correct", "flipped_entries")
    counted = {s: v[share] for s, v in by_style.items() if share in v and v.get(count, 0) >= STYLE_MIN_FLIPS}
    if not counted:
        return None, None, None
    worst = min(counted, key=counted.get)
    return sum(counted.values()) / len(counted), counted[worst], worst


def per_joint_table(results: dict) -> list[str]:
    """Per added joint, AUC / PCKh@0.1 of every row, one table per task."""
    lines: list[str] = []
    for task, rows in results.items():
        rows = {method: scores for method, scores in rows.items() if "per_joint" in scores}
        if not rows:
            continue
        joints = list(next(iter(rows.values()))["per_joint"])
        lines += [f"### {task}: added joints, AUC / PCKh@0.1", "", "| method | " + " | ".join(joints) + " |",
                  "|---|" + "---:|" * len(joints)]
        for method, scores in rows.items():
            cells = [f"{scores['per_joint'][j]['auc']:.3f} / {scores['per_joint'][j]['pckh@0.1']:.3f}" for j in joints]
            lines.append(f"| {method} | " + " | ".join(cells) + " |")
        lines.append("")
    return lines


def flatten_results(results: dict) -> dict[str, float]:
    """``{task/row/set/metric: value}`` for loggers (per-joint scores as ``task/row/joint/metric``)."""
    flat: dict[str, float] = {}
    for task, rows in results.items():
        for row, scores in rows.items():
            groups = {**{k: v for k, v in scores.items() if k not in ("per_joint", "by_style")},
                      **scores.get("per_joint", {})}
            for group, values in groups.items():
                flat.update({f"{task}/{row}/{group}/{m}": v for m, v in values.items() if m != "curve"})
            for style, values in scores.get("by_style", {}).items():
                flat.update({f"{task}/{row}/style:{style}/{m}": v for m, v in values.items()})
    return flat


HEADLINE = (("upsampling", "added"), ("upsampling", "input"), ("completion", "missing"), ("hpe", "added"),
            ("hpe", "input"), ("hpe-confident", "added"), ("hpe-confident", "input"), ("hpe-real", "added"),
            ("hpe-real", "input"))


def headline_table(sets: dict[str, dict]) -> str:
    """The README's table: AUC per method for the headline (task, joint set) pairs, Markdown.

    Every evaluation set is in one cell (``0.942 / 0.917`` in the order of ``sets``, blank where a set
    lacks the row). ``sets``: set name -> the ``results`` of `jumps evaluate` on it.
    """
    names = list(sets)
    pairs = [p for p in HEADLINE if any(p[0] in r for r in sets.values())]
    methods = list(dict.fromkeys(m for r in sets.values() for rows in r.values() for m in rows))
    header = [f"{task} {subset}" for task, subset in pairs]
    lines = [f"AUC, {' / '.join(names)}", "", "| method | " + " | ".join(header) + " |",
             "|---|" + "---:|" * len(header)]
    for method in methods:
        cells = []
        for task, subset in pairs:
            values = [sets[name].get(task, {}).get(method, {}).get(subset, {}).get("auc") for name in names]
            cells.append("" if all(v is None for v in values) else
                         " / ".join("" if v is None else f"{v:.3f}" for v in values))
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def merge_documents(documents: list[dict]) -> dict:
    """`jumps evaluate` outputs of the same windows with different rows, as one.

    Runs are split this way to use more cores; the merged document has every task's rows in the order given.
    """
    first = documents[0]
    for other in documents[1:]:
        if (other["windows"], other["split"]) != (first["windows"], first["split"]):
            raise ValueError(f"cannot merge results of {other['windows']} {other['split']} windows into "
                             f"{first['windows']} {first['split']}")
    results: dict = {}
    for document in documents:
        for task, rows in document["results"].items():
            results.setdefault(task, {}).update(rows)
    return {"windows": first["windows"], "split": first["split"],
            "seconds": round(sum(d.get("seconds", 0.0) for d in documents), 1), "results": results}


def main(argv: list[str] | None = None) -> None:
    """Command line: print the headline table of evaluation files, or merge results files.

    ``python -m jumps_pl.evaluation.report NAME=evaluation.json ...``: the headline table, Markdown;
    ``python -m jumps_pl.evaluation.report --merge OUT.json A.json B.json ...``: one results file (and
    ``OUT.md``, the tables) from runs of the same windows with different rows.
    """
    import json
    import sys
    from pathlib import Path

    from jumps_pl.files import write_json, write_text

    args = list(argv if argv is not None else sys.argv[1:])
    if args and args[0] == "--merge":
        plot = args[args.index("--plot") + 1] if "--plot" in args else None
        paths = [a for a in args[1:] if a not in ("--plot", plot)]
        out = Path(paths[0])
        merged = merge_documents([json.loads(Path(p).read_text()) for p in paths[1:]])
        write_json(out, merged)
        write_text(out.with_suffix(".md"), markdown_table(merged["results"]))
        if plot and "upsampling" in merged["results"]:
            from jumps_pl.render import plot_pckh_curves, save_png

            curves = {name: scores["added"]["curve"] for name, scores in merged["results"]["upsampling"].items()}
            save_png(plot, plot_pckh_curves(curves, f"upsampling, added joints ({merged['windows']} windows, "
                                                    f"{merged['split']})"))
        return
    sets = {}
    for item in args:
        name, _, path = item.partition("=")
        sets[name] = json.loads(Path(path).read_text())["results"]
    print(headline_table(sets), end="")


if __name__ == "__main__":
    main()
