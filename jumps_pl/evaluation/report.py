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
                      + ", ".join(f"{m} {r['repair']['flips_correct']:.3f}" for m, r in rows.items() if "repair" in r),
                      ""]
    lines += per_joint_table(results)
    return "\n".join(lines)


def per_joint_table(results: dict) -> list[str]:
    """Per added joint, AUC / PCKh@0.1 of every row, one table per task."""
    lines: list[str] = []
    for task, rows in results.items():
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
            groups = {**{k: v for k, v in scores.items() if k != "per_joint"}, **scores.get("per_joint", {})}
            for group, values in groups.items():
                flat.update({f"{task}/{row}/{group}/{m}": v for m, v in values.items() if m != "curve"})
    return flat
